package io.cxr.core.model;

/**
 * Temperature scaling of P(PNEUMONIA): the logit {@code log(p / (1 - p))} divided by {@code T},
 * optionally plus a bias (Platt scaling on the logit; the bias undoes the prior shift that
 * class-weighted training builds into the scores). Order-preserving (AUC and the decisions at the
 * matching threshold do not change); {@code T > 1} moves scores toward 0.5, {@code T < 1} away from
 * it. {@code T} is fitted on validation by {@code eval.Calibration} and stored in the model card.
 */
public final class Temperature {
  private Temperature() {}

  /** Probabilities are clamped this far from 0 and 1 before taking logits. */
  static final double EPS = 1e-7;

  /** Rescales {@code p} in place ({@code t = 1} leaves it alone). */
  public static float[] applyInPlace(float[] p, double t) {
    return applyInPlace(p, t, 0);
  }

  /** Rescales {@code p} in place to {@code sigmoid(logit(p) / t + bias)}. */
  public static float[] applyInPlace(float[] p, double t, double bias) {
    if (t != 1.0 || bias != 0) {
      for (int i = 0; i < p.length; i++) {
        p[i] = (float) apply(p[i], t, bias);
      }
    }
    return p;
  }

  /** One probability rescaled. */
  public static double apply(double p, double t) {
    return apply(p, t, 0);
  }

  /** One probability rescaled and shifted: {@code sigmoid(logit(p) / t + bias)}. */
  public static double apply(double p, double t, double bias) {
    return t == 1.0 && bias == 0 ? p : sigmoid(logit(p) / t + bias);
  }

  public static double logit(double p) {
    double q = Math.min(1 - EPS, Math.max(EPS, p));
    return Math.log(q / (1 - q));
  }

  public static double sigmoid(double z) {
    return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
  }
}
