package io.cxr.core.eval;

/**
 * Counts of a binary decision, positive = PNEUMONIA. Each rate is 0 when its denominator is 0 (e.g.
 * precision of a model that predicts no positive), the convention of scikit-learn's {@code
 * zero_division=0}.
 */
public record ConfusionMatrix(long tp, long fp, long tn, long fn) {

  /** Counts decisions {@code p >= threshold} against labels. */
  public static ConfusionMatrix of(int[] labels, float[] probabilities, double threshold) {
    long tp = 0;
    long fp = 0;
    long tn = 0;
    long fn = 0;
    for (int i = 0; i < labels.length; i++) {
      boolean predicted = probabilities[i] >= threshold;
      if (labels[i] == 1) {
        if (predicted) {
          tp++;
        } else {
          fn++;
        }
      } else if (predicted) {
        fp++;
      } else {
        tn++;
      }
    }
    return new ConfusionMatrix(tp, fp, tn, fn);
  }

  public long total() {
    return tp + fp + tn + fn;
  }

  /** (TP + TN) / N. */
  public double accuracy() {
    return ratio(tp + tn, total());
  }

  /** TP / (TP + FP): of the images called PNEUMONIA, the share that are. */
  public double precision() {
    return ratio(tp, tp + fp);
  }

  /** TP / (TP + FN), also recall: of the PNEUMONIA images, the share found. */
  public double sensitivity() {
    return ratio(tp, tp + fn);
  }

  /** TN / (TN + FP): of the NORMAL images, the share called NORMAL. */
  public double specificity() {
    return ratio(tn, tn + fp);
  }

  /** 2 TP / (2 TP + FP + FN), the harmonic mean of precision and sensitivity. */
  public double f1() {
    return ratio(2 * tp, 2 * tp + fp + fn);
  }

  /** (sensitivity + specificity) / 2, insensitive to class balance. */
  public double balancedAccuracy() {
    return (sensitivity() + specificity()) / 2;
  }

  private static double ratio(long a, long b) {
    return b == 0 ? 0 : (double) a / b;
  }
}
