package io.cxr.core.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every figure cxr reports for one split at one threshold; the single metrics implementation used
 * by train, evaluate, the quality gate (and later HPO).
 */
public record BinaryMetrics(
    ConfusionMatrix confusion,
    RocCurve roc,
    PrecisionRecallCurve pr,
    double threshold,
    double logLoss,
    double ece,
    double brier,
    int n) {

  public static BinaryMetrics of(int[] labels, float[] scores, double threshold) {
    double loss = 0;
    for (int i = 0; i < labels.length; i++) {
      double p = Math.min(1 - 1e-7, Math.max(1e-7, scores[i]));
      loss -= labels[i] == 1 ? Math.log(p) : Math.log(1 - p);
    }
    return new BinaryMetrics(
        ConfusionMatrix.of(labels, scores, threshold),
        RocCurve.of(labels, scores),
        PrecisionRecallCurve.of(labels, scores),
        threshold,
        labels.length == 0 ? Double.NaN : loss / labels.length,
        labels.length == 0 ? Double.NaN : Calibration.ece(labels, scores),
        labels.length == 0 ? Double.NaN : Calibration.brier(labels, scores),
        labels.length);
  }

  /** Flat keys {@code <prefix>_accuracy}, ... as written to metrics.json. */
  public Map<String, Double> flat(String prefix) {
    Map<String, Double> m = new LinkedHashMap<>();
    ConfusionMatrix c = confusion;
    m.put(prefix + "_accuracy", c.accuracy());
    m.put(prefix + "_f1", c.f1());
    m.put(prefix + "_auc", roc.auc());
    m.put(prefix + "_average_precision", pr.averagePrecision());
    m.put(prefix + "_precision", c.precision());
    m.put(prefix + "_sensitivity", c.sensitivity());
    m.put(prefix + "_specificity", c.specificity());
    m.put(prefix + "_balanced_accuracy", c.balancedAccuracy());
    m.put(prefix + "_log_loss", logLoss);
    m.put(prefix + "_ece", ece);
    m.put(prefix + "_brier", brier);
    m.put(prefix + "_tp", (double) c.tp());
    m.put(prefix + "_fp", (double) c.fp());
    m.put(prefix + "_tn", (double) c.tn());
    m.put(prefix + "_fn", (double) c.fn());
    m.put(prefix + "_n", (double) n);
    return m;
  }
}
