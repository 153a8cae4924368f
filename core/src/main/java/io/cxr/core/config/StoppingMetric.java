package io.cxr.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The figure early stopping watches ({@code train.early_stopping.metric}). */
public enum StoppingMetric {
  /** AUC, higher is better. */
  AUC,
  /** Log-loss, lower is better: it keeps telling epochs apart when AUC saturates. */
  LOG_LOSS;

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
  public static StoppingMetric of(String key) {
    return Choices.of(StoppingMetric.class, key);
  }
}
