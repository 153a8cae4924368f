package io.cxr.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** What {@code cxr download} fetches ({@code download.dataset}). */
public enum DownloadDataset {
  /** PneumoniaMNIST from Zenodo. */
  PNEUMONIAMNIST,
  /** The Kermany chest X-ray folders from Kaggle. */
  KERMANY;

  /** The YAML name. */
  @JsonValue
  public String key() {
    return Choices.key(this);
  }

  /** The YAML name, so that messages and tags show what the config says. */
  @Override
  public String toString() {
    return key();
  }

  /** The constant of a YAML name (one line naming the choices when it is none of them). */
  @JsonCreator
  public static DownloadDataset of(String key) {
    return Choices.of(DownloadDataset.class, key);
  }
}
