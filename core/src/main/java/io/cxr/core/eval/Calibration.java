package io.cxr.core.eval;

import io.cxr.core.model.Temperature;

/**
 * Probability calibration: temperature scaling (Guo et al., 2017) of the network's P(PNEUMONIA),
 * fitted on validation, and the two figures that say how far scores are from frequencies: expected
 * calibration error and the Brier score.
 *
 * <p>Temperature scaling divides the logit {@code log(p / (1 - p))} by one number {@code T}: scores
 * keep their order (AUC, ROC and the decisions at the matching threshold are unchanged) and only
 * their confidence moves, toward 0.5 when {@code T > 1}.
 */
public final class Calibration {
  private Calibration() {}

  /** Equal-width bins of the expected calibration error. */
  public static final int ECE_BINS = 15;

  /** Search range of the temperature. */
  static final double MIN_T = 0.05;

  static final double MAX_T = 20.0;

  /**
   * The temperature that minimises the negative log-likelihood of {@code labels} (1 = PNEUMONIA)
   * under the rescaled scores: golden-section search over log T in [{@value #MIN_T}, {@value
   * #MAX_T}] (the NLL is convex in 1/T, so unimodal in log T).
   */
  public static double fitTemperature(int[] labels, float[] scores) {
    requireSameLength(labels, scores);
    double[] logits = new double[scores.length];
    for (int i = 0; i < scores.length; i++) {
      logits[i] = logit(scores[i]);
    }
    double lo = Math.log(MIN_T);
    double hi = Math.log(MAX_T);
    double g = (Math.sqrt(5) - 1) / 2;
    double a = hi - g * (hi - lo);
    double b = lo + g * (hi - lo);
    double fa = nll(labels, logits, Math.exp(a));
    double fb = nll(labels, logits, Math.exp(b));
    for (int it = 0; it < 100 && hi - lo > 1e-6; it++) {
      if (fa < fb) {
        hi = b;
        b = a;
        fb = fa;
        a = hi - g * (hi - lo);
        fa = nll(labels, logits, Math.exp(a));
      } else {
        lo = a;
        a = b;
        fa = fb;
        b = lo + g * (hi - lo);
        fb = nll(labels, logits, Math.exp(b));
      }
    }
    return Math.exp((lo + hi) / 2);
  }

  /** A fitted calibration: {@code sigmoid(logit(p) / temperature + bias)}. */
  public record Fit(double temperature, double bias) {
    public static final Fit NONE = new Fit(1.0, 0.0);

    public float[] apply(float[] scores) {
      return Temperature.applyInPlace(scores.clone(), temperature, bias);
    }
  }

  /**
   * Platt scaling on the logit: the temperature and bias that minimise the negative log-likelihood
   * (Newton's method on a one-feature logistic regression, with step halving; a tiny ridge keeps it
   * defined on separable data). A class-weighted loss shifts every logit by {@code log(w_pneumonia
   * / w_normal)}; the bias learns that shift back, which a temperature alone cannot.
   */
  public static Fit fitPlatt(int[] labels, float[] scores) {
    requireSameLength(labels, scores);
    int n = scores.length;
    double[] z = new double[n];
    for (int i = 0; i < n; i++) {
      z[i] = logit(scores[i]);
    }
    double a = 1;
    double b = 0;
    double ridge = 1e-6 * n;
    double loss = plattLoss(labels, z, a, b, ridge);
    for (int it = 0; it < 100; it++) {
      double ga = ridge * (a - 1);
      double gb = ridge * b;
      double haa = ridge;
      double hab = 0;
      double hbb = ridge;
      for (int i = 0; i < n; i++) {
        double p = Temperature.sigmoid(a * z[i] + b);
        double r = p - labels[i];
        double w = p * (1 - p);
        ga += r * z[i];
        gb += r;
        haa += w * z[i] * z[i];
        hab += w * z[i];
        hbb += w;
      }
      double det = haa * hbb - hab * hab;
      if (!(det > 0)) {
        break;
      }
      double da = (hbb * ga - hab * gb) / det;
      double db = (haa * gb - hab * ga) / det;
      double step = 1;
      double next = plattLoss(labels, z, a - da, b - db, ridge);
      while (!(next <= loss) && step > 1e-6) {
        step /= 2;
        next = plattLoss(labels, z, a - step * da, b - step * db, ridge);
      }
      if (!(next <= loss)) {
        break;
      }
      a -= step * da;
      b -= step * db;
      boolean done = loss - next < 1e-12;
      loss = next;
      if (done) {
        break;
      }
    }
    a = Math.max(1 / MAX_T, Math.min(1 / MIN_T, a));
    return new Fit(1 / a, b);
  }

  private static double plattLoss(int[] labels, double[] z, double a, double b, double ridge) {
    double sum = 0.5 * ridge * ((a - 1) * (a - 1) + b * b);
    for (int i = 0; i < z.length; i++) {
      double u = a * z[i] + b;
      sum += labels[i] == 1 ? softplus(-u) : softplus(u);
    }
    return sum;
  }

  private static void requireSameLength(int[] labels, float[] scores) {
    if (labels.length != scores.length || labels.length == 0) {
      throw new IllegalArgumentException(
          "labels and scores differ in length or are empty: "
              + labels.length
              + " vs "
              + scores.length);
    }
  }

  /** The scores rescaled by temperature {@code t} (a new array). */
  public static float[] apply(float[] scores, double t) {
    return Temperature.applyInPlace(scores.clone(), t);
  }

  /** Mean negative log-likelihood of the labels at temperature {@code t}. */
  static double nll(int[] labels, double[] logits, double t) {
    double sum = 0;
    for (int i = 0; i < logits.length; i++) {
      double z = logits[i] / t;
      // -log sigmoid(z) = softplus(-z), -log(1 - sigmoid(z)) = softplus(z)
      sum += labels[i] == 1 ? softplus(-z) : softplus(z);
    }
    return sum / logits.length;
  }

  /**
   * Expected calibration error: over {@value #ECE_BINS} equal-width bins of P(PNEUMONIA), the
   * image-weighted mean of |observed PNEUMONIA share - mean score|.
   */
  public static double ece(int[] labels, float[] scores) {
    Bins b = bins(labels, scores);
    double ece = 0;
    for (int k = 0; k < ECE_BINS; k++) {
      if (b.count()[k] > 0) {
        ece += b.count()[k] * Math.abs(b.observed()[k] - b.meanScore()[k]) / scores.length;
      }
    }
    return ece;
  }

  /** Brier score: the mean squared difference between P(PNEUMONIA) and the 0/1 label. */
  public static double brier(int[] labels, float[] scores) {
    double s = 0;
    for (int i = 0; i < scores.length; i++) {
      double d = scores[i] - labels[i];
      s += d * d;
    }
    return s / scores.length;
  }

  /** Per-bin mean score, observed share and count, for a reliability diagram. */
  public record Bins(double[] meanScore, double[] observed, int[] count) {}

  /** The {@value #ECE_BINS} equal-width bins of the scores (NaN means where a bin is empty). */
  public static Bins bins(int[] labels, float[] scores) {
    double[] sum = new double[ECE_BINS];
    double[] pos = new double[ECE_BINS];
    int[] count = new int[ECE_BINS];
    for (int i = 0; i < scores.length; i++) {
      int bin = Math.min(ECE_BINS - 1, Math.max(0, (int) (scores[i] * ECE_BINS)));
      sum[bin] += scores[i];
      pos[bin] += labels[i];
      count[bin]++;
    }
    double[] mean = new double[ECE_BINS];
    double[] obs = new double[ECE_BINS];
    for (int k = 0; k < ECE_BINS; k++) {
      mean[k] = count[k] == 0 ? Double.NaN : sum[k] / count[k];
      obs[k] = count[k] == 0 ? Double.NaN : pos[k] / count[k];
    }
    return new Bins(mean, obs, count);
  }

  static double logit(double p) {
    return Temperature.logit(p);
  }

  static double softplus(double z) {
    return z > 30 ? z : Math.log1p(Math.exp(z));
  }
}
