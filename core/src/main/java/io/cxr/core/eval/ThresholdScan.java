package io.cxr.core.eval;

import java.util.Arrays;
import java.util.Comparator;

/**
 * The one scan behind the ROC and precision-recall curves: scores sorted from high to low, and at
 * each distinct score the cumulative true and false positives of calling everything at or above it
 * positive (PNEUMONIA).
 */
record ThresholdScan(long positives, long negatives, long[] tp, long[] fp, double[] thresholds) {

  static ThresholdScan of(int[] labels, float[] scores) {
    Integer[] order = new Integer[scores.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble((Integer i) -> scores[i]).reversed());
    long pos = Arrays.stream(labels).filter(l -> l == 1).count();
    long[] tps = new long[order.length];
    long[] fps = new long[order.length];
    double[] th = new double[order.length];
    int n = 0;
    long tp = 0;
    long fp = 0;
    for (int k = 0; k < order.length; k++) {
      int i = order[k];
      if (labels[i] == 1) {
        tp++;
      } else {
        fp++;
      }
      if (k == order.length - 1 || scores[order[k + 1]] != scores[i]) {
        tps[n] = tp;
        fps[n] = fp;
        th[n] = scores[i];
        n++;
      }
    }
    return new ThresholdScan(
        pos,
        labels.length - pos,
        Arrays.copyOf(tps, n),
        Arrays.copyOf(fps, n),
        Arrays.copyOf(th, n));
  }

  int points() {
    return tp.length;
  }
}
