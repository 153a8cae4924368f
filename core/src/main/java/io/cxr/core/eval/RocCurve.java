package io.cxr.core.eval;

/**
 * The ROC curve: one point (FPR, TPR) per distinct score, from (0, 0) to (1, 1), and its area. AUC
 * is the trapezoidal area, which equals the Mann-Whitney probability that a random positive scores
 * above a random negative, ties counted one half. Undefined (NaN) when a class is absent.
 */
public record RocCurve(double[] fpr, double[] tpr, double[] thresholds, double auc) {

  public static RocCurve of(int[] labels, float[] scores) {
    ThresholdScan scan = ThresholdScan.of(labels, scores);
    long pos = scan.positives();
    long neg = scan.negatives();
    int n = scan.points() + 1;
    double[] f = new double[n];
    double[] t = new double[n];
    double[] th = new double[n];
    th[0] = Double.POSITIVE_INFINITY; // the curve starts at (0, 0)
    for (int k = 1; k < n; k++) {
      f[k] = neg == 0 ? 0 : (double) scan.fp()[k - 1] / neg;
      t[k] = pos == 0 ? 0 : (double) scan.tp()[k - 1] / pos;
      th[k] = scan.thresholds()[k - 1];
    }
    double auc = 0;
    for (int k = 1; k < f.length; k++) {
      auc += (f[k] - f[k - 1]) * (t[k] + t[k - 1]) / 2;
    }
    return new RocCurve(f, t, th, pos == 0 || neg == 0 ? Double.NaN : auc);
  }
}
