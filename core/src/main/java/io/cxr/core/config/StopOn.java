package io.cxr.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The data early stopping watches ({@code train.early_stopping.on}). */
public enum StopOn {
  /** The validation split. */
  VAL,
  /** The pooled external sets ({@code data.external}). */
  EXTERNAL;

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
  public static StopOn of(String key) {
    return Choices.of(StopOn.class, key);
  }
}
