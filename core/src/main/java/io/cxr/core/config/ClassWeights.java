package io.cxr.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Loss weights per class ({@code train.class_weights}). */
public enum ClassWeights {
  /** n / (2 n_c): each class carries half the loss. */
  BALANCED,
  /** 1 and 1. */
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
  public static ClassWeights of(String key) {
    return Choices.of(ClassWeights.class, key);
  }
}
