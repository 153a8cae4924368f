package io.cxr.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The learning-rate schedule ({@code train.schedule}). */
public enum Schedule {
  /** {@code train.learning_rate} throughout. */
  CONSTANT,
  /** Cosine decay over {@code train.epochs}. */
  COSINE;

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
  public static Schedule of(String key) {
    return Choices.of(Schedule.class, key);
  }
}
