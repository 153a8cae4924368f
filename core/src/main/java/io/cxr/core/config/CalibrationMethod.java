package io.cxr.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** How scores are calibrated after training ({@code train.calibration}). */
public enum CalibrationMethod {
  /** Platt scaling: a logistic fit of the logit (slope and bias). */
  PLATT,
  /** Temperature scaling: one divisor of the logit. */
  TEMPERATURE,
  /** No calibration. */
  NONE;

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
  public static CalibrationMethod of(String key) {
    return Choices.of(CalibrationMethod.class, key);
  }
}
