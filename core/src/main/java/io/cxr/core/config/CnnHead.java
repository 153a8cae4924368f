package io.cxr.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** How the CNN turns its last feature maps into a vector ({@code model.cnn.head}). */
public enum CnnHead {
  /** Pooled to a fixed small grid, then flattened: the same fan-in at any image size. */
  GRID,
  /** Global average pooling: one value per channel. */
  GAP,
  /** Every position: the dense layer's fan-in grows with the image area. */
  FLATTEN;

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
  public static CnnHead of(String key) {
    return Choices.of(CnnHead.class, key);
  }
}
