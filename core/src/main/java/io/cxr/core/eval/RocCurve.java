package io.cxr.core.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The ROC curve: one point (FPR, TPR) per distinct score, from (0, 0) to (1, 1), and its area. AUC
 * is the trapezoidal area, which equals the Mann-Whitney probability that a random positive scores
 * above a random negative, ties counted one half. Undefined (NaN) when a class is absent.
 */
public record RocCurve(double[] fpr, double[] tpr, double[] thresholds, double auc) {

  public static RocCurve of(int[] labels, float[] scores) {
    Integer[] order = sortedDescending(scores);
    long pos = Arrays.stream(labels).filter(l -> l == 1).count();
    long neg = labels.length - pos;
    List<double[]> pts = new ArrayList<>();
    pts.add(new double[] {0, 0, Double.POSITIVE_INFINITY});
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
        pts.add(
            new double[] {
              neg == 0 ? 0 : (double) fp / neg, pos == 0 ? 0 : (double) tp / pos, scores[i]
            });
      }
    }
    double[] f = pts.stream().mapToDouble(p -> p[0]).toArray();
    double[] t = pts.stream().mapToDouble(p -> p[1]).toArray();
    double[] th = pts.stream().mapToDouble(p -> p[2]).toArray();
    double auc = 0;
    for (int k = 1; k < f.length; k++) {
      auc += (f[k] - f[k - 1]) * (t[k] + t[k - 1]) / 2;
    }
    return new RocCurve(f, t, th, pos == 0 || neg == 0 ? Double.NaN : auc);
  }

  static Integer[] sortedDescending(float[] scores) {
    Integer[] order = new Integer[scores.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble((Integer i) -> scores[i]).reversed());
    return order;
  }
}
