package io.cxr.core.hpo;

import io.cxr.core.eval.EpochRecord;
import java.util.Locale;
import java.util.Map;

/**
 * What a search trial is scored on ({@code hpo.objective}): the validation split's AUC, the
 * external sets' ({@code data.external} pooled), or the worse of the two, so a setting is chosen
 * only if it holds both in and out of distribution. A NaN figure (a diverged epoch) scores 0, the
 * worst.
 */
public enum Objective {
  VAL("val"),
  EXTERNAL("external"),
  WORST("worst");

  private final String key;

  Objective(String key) {
    this.key = key;
  }

  /** The objective of a validated {@code hpo.objective} value. */
  public static Objective of(String key) {
    return valueOf(key.toUpperCase(Locale.ROOT));
  }

  /** The YAML name. */
  public String key() {
    return key;
  }

  /** The metric name a trial's score is logged under. */
  public String metric() {
    return switch (this) {
      case VAL -> "val_auc";
      case EXTERNAL -> "external_auc";
      case WORST -> "worst_auc";
    };
  }

  /** One epoch's score (the pruner's curve). */
  public double score(EpochRecord r) {
    return pick(r.valAuc(), r.externalAuc());
  }

  /** A finished trial's score from its metrics ({@code val_auc}, {@code external_auc}). */
  public double score(Map<String, Double> metrics) {
    return pick(
        metrics.getOrDefault("val_auc", Double.NaN),
        metrics.getOrDefault("external_auc", Double.NaN));
  }

  private double pick(double val, double external) {
    double v = Double.isNaN(val) ? 0 : val;
    double e = Double.isNaN(external) ? 0 : external;
    return switch (this) {
      case VAL -> v;
      case EXTERNAL -> e;
      case WORST -> Math.min(v, e);
    };
  }
}
