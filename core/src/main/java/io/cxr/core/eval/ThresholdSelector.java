package io.cxr.core.eval;

import io.cxr.core.CxrException;

/**
 * Chooses the decision threshold on validation scores: Youden's J (maximise sensitivity +
 * specificity - 1, the ROC point farthest above the diagonal) or F1. The chosen threshold is the
 * midpoint between the best score and the next lower one, so it does not sit on a sample.
 */
public final class ThresholdSelector {
  private ThresholdSelector() {}

  public static double choose(String method, double fixed, int[] labels, float[] scores) {
    if ("fixed".equals(method)) {
      return fixed;
    }
    if (labels.length == 0) {
      throw new CxrException("cannot choose a threshold: the validation split is empty");
    }
    RocCurve roc = RocCurve.of(labels, scores);
    double best = Double.NEGATIVE_INFINITY;
    int bestK = -1;
    for (int k = 1; k < roc.thresholds().length; k++) {
      double t = roc.thresholds()[k];
      double value;
      if ("youden".equals(method)) {
        value = roc.tpr()[k] - roc.fpr()[k];
      } else if ("f1".equals(method)) {
        value = ConfusionMatrix.of(labels, scores, t).f1();
      } else {
        throw new CxrException(
            "train.threshold: unknown method '" + method + "' (expected youden, f1 or fixed)");
      }
      if (value > best + 1e-12) {
        best = value;
        bestK = k;
      }
    }
    double t = roc.thresholds()[bestK];
    double next = bestK + 1 < roc.thresholds().length ? roc.thresholds()[bestK + 1] : 0;
    return (t + next) / 2;
  }
}
