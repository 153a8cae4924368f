package io.cxr.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** What a search trial is scored on ({@code hpo.objective}). */
public enum Objective {
  /** The validation split's AUC. */
  VAL,
  /** The pooled external sets' AUC. */
  EXTERNAL,
  /** The worse of the two: a setting must hold in and out of distribution. */
  WORST;

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
  public static Objective of(String key) {
    return Choices.of(Objective.class, key);
  }

  /** The metric name a trial's score is logged under. */
  public String metric() {
    return key() + "_auc";
  }

  /**
   * The score of validation and external AUCs: one of them or the worse; a NaN (a diverged epoch,
   * or no external sets) counts as 0, the worst.
   */
  public double pick(double val, double external) {
    double v = Double.isNaN(val) ? 0 : val;
    double e = Double.isNaN(external) ? 0 : external;
    return switch (this) {
      case VAL -> v;
      case EXTERNAL -> e;
      case WORST -> Math.min(v, e);
    };
  }
}
