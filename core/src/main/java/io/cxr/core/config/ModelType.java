package io.cxr.core.config;

import java.util.Locale;

/** The network families cxr trains ({@code model.type}). */
public enum ModelType {
  /** Convolution blocks with batch-norm, max-pooling and a dense head. */
  CNN,
  /** The dense (multilayer perceptron) baseline. */
  DENSE;

  /** The name used in config, model cards and run tags. */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The type for a config value ({@code cnn} or {@code dense}, validated by the config). */
  public static ModelType of(String key) {
    return valueOf(key.toUpperCase(Locale.ROOT));
  }
}
