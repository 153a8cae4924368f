package io.cxr.core.eval;

import io.cxr.core.CxrException;
import io.cxr.core.config.ThresholdRule;

/**
 * Chooses the decision threshold on validation scores: Youden's J (maximise sensitivity +
 * specificity - 1, the ROC point farthest above the diagonal), F1, or a stated sensitivity (the
 * highest threshold whose validation sensitivity reaches the target: a screening operating point,
 * which stays put when the validation split is nearly separable and J is flat over a wide range of
 * thresholds). The chosen threshold is the midpoint between the chosen score and the next lower
 * one, so it does not sit on a sample.
 */
public final class ThresholdSelector {
  private ThresholdSelector() {}

  public static double choose(ThresholdRule method, double fixed, int[] labels, float[] scores) {
    return choose(method, fixed, 0.95, labels, scores);
  }

  /**
   * @param fixed the threshold of {@code fixed}
   * @param sensitivity the target of {@code sensitivity}, in (0, 1]
   */
  public static double choose(
      ThresholdRule method, double fixed, double sensitivity, int[] labels, float[] scores) {
    if (method == ThresholdRule.FIXED) {
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
      double value =
          switch (method) {
            case YOUDEN -> roc.tpr()[k] - roc.fpr()[k];
              // the first (highest) threshold reaching the target wins; later ones tie at 1
            case SENSITIVITY -> roc.tpr()[k] >= sensitivity - 1e-12 ? 1 : 0;
            case F1 -> ConfusionMatrix.of(labels, scores, t).f1();
            case FIXED -> 0; // returned above
          };
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
