package io.cxr.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The network families cxr trains ({@code model.type}). */
public enum ModelType {
  /** Convolution blocks with batch-norm, max-pooling and a dense head. */
  CNN,
  /** The dense (multilayer perceptron) baseline. */
  DENSE;

  /** The YAML name (config, model cards, run tags). */
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
  public static ModelType of(String key) {
    return Choices.of(ModelType.class, key);
  }
}
