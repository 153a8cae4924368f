package io.cxr.core.eval;

/**
 * Precision against recall (sensitivity), one point per distinct score, and the average precision
 * AP = sum over thresholds of (R_k - R_{k-1}) P_k (scikit-learn's definition, no interpolation).
 * Positive = PNEUMONIA.
 */
public record PrecisionRecallCurve(
    double[] recall, double[] precision, double[] thresholds, double averagePrecision) {

  public static PrecisionRecallCurve of(int[] labels, float[] scores) {
    ThresholdScan scan = ThresholdScan.of(labels, scores);
    long pos = scan.positives();
    int n = scan.points();
    double[] recall = new double[n];
    double[] precision = new double[n];
    double ap = 0;
    double prevRecall = 0;
    for (int k = 0; k < n; k++) {
      long tp = scan.tp()[k];
      double r = pos == 0 ? 0 : (double) tp / pos;
      double p = (double) tp / (tp + scan.fp()[k]);
      ap += (r - prevRecall) * p;
      prevRecall = r;
      recall[k] = r;
      precision[k] = p;
    }
    return new PrecisionRecallCurve(
        recall, precision, scan.thresholds(), pos == 0 ? Double.NaN : ap);
  }
}
