package io.cxr.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** How the decision threshold is chosen ({@code train.threshold}). */
public enum ThresholdRule {
  /** Youden's J: the ROC point farthest above the diagonal. */
  YOUDEN,
  /** The highest F1. */
  F1,
  /** The highest threshold reaching {@code train.target_sensitivity}. */
  SENSITIVITY,
  /** {@code train.fixed_threshold}. */
  FIXED;

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
  public static ThresholdRule of(String key) {
    return Choices.of(ThresholdRule.class, key);
  }
}
