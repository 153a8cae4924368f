package io.cxr.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The optimiser ({@code train.optimizer}). */
public enum OptimizerChoice {
  /** Adam. */
  ADAM,
  /** Stochastic gradient descent with Nesterov momentum. */
  SGD,
  /** RMSProp. */
  RMSPROP;

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
  public static OptimizerChoice of(String key) {
    return Choices.of(OptimizerChoice.class, key);
  }
}
