package io.cxr.core.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * Precision against recall (sensitivity), one point per distinct score, and the average precision
 * AP = sum over thresholds of (R_k - R_{k-1}) P_k (scikit-learn's definition, no interpolation).
 * Positive = PNEUMONIA.
 */
public record PrecisionRecallCurve(
    double[] recall, double[] precision, double[] thresholds, double averagePrecision) {

  public static PrecisionRecallCurve of(int[] labels, float[] scores) {
    Integer[] order = RocCurve.sortedDescending(scores);
    long pos = java.util.Arrays.stream(labels).filter(l -> l == 1).count();
    List<double[]> pts = new ArrayList<>();
    long tp = 0;
    long fp = 0;
    double ap = 0;
    double prevRecall = 0;
    for (int k = 0; k < order.length; k++) {
      int i = order[k];
      if (labels[i] == 1) {
        tp++;
      } else {
        fp++;
      }
      if (k == order.length - 1 || scores[order[k + 1]] != scores[i]) {
        double r = pos == 0 ? 0 : (double) tp / pos;
        double p = (double) tp / (tp + fp);
        ap += (r - prevRecall) * p;
        prevRecall = r;
        pts.add(new double[] {r, p, scores[i]});
      }
    }
    return new PrecisionRecallCurve(
        pts.stream().mapToDouble(x -> x[0]).toArray(),
        pts.stream().mapToDouble(x -> x[1]).toArray(),
        pts.stream().mapToDouble(x -> x[2]).toArray(),
        pos == 0 ? Double.NaN : ap);
  }
}
