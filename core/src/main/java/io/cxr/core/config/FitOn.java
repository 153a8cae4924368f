package io.cxr.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The data a post-training fit uses ({@code train.threshold_on}, {@code train.calibration_on}). */
public enum FitOn {
  /** The validation split. */
  VAL,
  /** The pooled external sets ({@code data.external}). */
  EXTERNAL,
  /** The external sets when the prepared data has some, else validation. */
  AUTO;

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
  public static FitOn of(String key) {
    return Choices.of(FitOn.class, key);
  }
}
