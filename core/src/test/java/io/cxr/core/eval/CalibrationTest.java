package io.cxr.core.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.model.Temperature;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CalibrationTest {
  /** Labels drawn from a known probability q; the scores claim q sharpened by temperature 1/3. */
  static final int N = 4000;

  int[] labels = new int[N];
  float[] honest = new float[N];
  float[] overconfident = new float[N];

  /**
   * What class-weighted training does: q sharpened by temperature 1/2, every logit moved by -1.5.
   */
  float[] shifted = new float[N];

  CalibrationTest() {
    Random r = new Random(7);
    for (int i = 0; i < N; i++) {
      double q = 0.05 + 0.9 * r.nextDouble();
      labels[i] = r.nextDouble() < q ? 1 : 0;
      honest[i] = (float) q;
      overconfident[i] = (float) Temperature.apply(q, 1.0 / 3);
      shifted[i] = (float) Temperature.apply(honest[i], 0.5, -1.5);
    }
  }

  @Test
  void theFittedTemperatureUndoesAKnownSharpening() {
    double t = Calibration.fitTemperature(labels, overconfident);
    assertEquals(3.0, t, 0.35, "fitted temperature");
    assertEquals(1.0, Calibration.fitTemperature(labels, honest), 0.12);
  }

  @Test
  void temperatureScalingLowersEceAndBrierOfOverconfidentScoresAndKeepsTheirOrder() {
    double t = Calibration.fitTemperature(labels, overconfident);
    float[] fixed = Calibration.apply(overconfident, t);
    assertTrue(
        Calibration.ece(labels, fixed) < 0.5 * Calibration.ece(labels, overconfident),
        Calibration.ece(labels, fixed) + " vs " + Calibration.ece(labels, overconfident));
    assertTrue(Calibration.brier(labels, fixed) < Calibration.brier(labels, overconfident));
    assertEquals(RocCurve.of(labels, overconfident).auc(), RocCurve.of(labels, fixed).auc(), 1e-9);
  }

  @Test
  void plattScalingRecoversATemperatureAndAShiftThatATemperatureAloneCannotFix() {
    Calibration.Fit fit = Calibration.fitPlatt(labels, shifted);
    // sigmoid(logit(p') / T + b) = q with logit(p') = 2 logit(q) - 1.5: T = 2, b = 0.75
    assertEquals(2.0, fit.temperature(), 0.25, "temperature");
    assertEquals(0.75, fit.bias(), 0.2, "bias");
    double platt = Calibration.ece(labels, fit.apply(shifted));
    double tempOnly =
        Calibration.ece(
            labels, Calibration.apply(shifted, Calibration.fitTemperature(labels, shifted)));
    assertTrue(platt < 0.03, "Platt ECE " + platt);
    assertTrue(platt < 0.5 * tempOnly, "Platt " + platt + " vs temperature only " + tempOnly);
    assertEquals(
        RocCurve.of(labels, shifted).auc(), RocCurve.of(labels, fit.apply(shifted)).auc(), 1e-9);
  }

  @Test
  void eceAndBrierOfKnownScores() {
    int[] y = {1, 0, 1, 0};
    float[] p = {1f, 0f, 1f, 0f};
    assertEquals(0.0, Calibration.ece(y, p), 1e-12);
    assertEquals(0.0, Calibration.brier(y, p), 1e-12);
    float[] half = {0.5f, 0.5f, 0.5f, 0.5f};
    assertEquals(0.0, Calibration.ece(y, half), 1e-12, "right on average in its one bin");
    assertEquals(0.25, Calibration.brier(y, half), 1e-12);
    float[] wrong = {0f, 1f, 0f, 1f};
    assertEquals(1.0, Calibration.ece(y, wrong), 1e-12);
    assertEquals(1.0, Calibration.brier(y, wrong), 1e-12);
    // two bins: scores 0.9 with 1 of 2 positive (gap 0.4), scores 0.1 with 0 of 2 (gap 0.1)
    assertEquals(
        0.25, Calibration.ece(new int[] {1, 0, 0, 0}, new float[] {0.9f, 0.9f, 0.1f, 0.1f}), 1e-6);
  }

  @Test
  void theThresholdMovesWithItsScores() {
    double t = 2.5;
    for (double p : new double[] {0.1, 0.3, 0.5, 0.8}) {
      float moved = Calibration.apply(new float[] {(float) p}, t)[0];
      assertEquals(Temperature.apply(p, t), moved, 1e-6);
    }
    assertEquals(0.5, Temperature.apply(0.5, t), 1e-12);
    assertTrue(Temperature.apply(0.9, t) < 0.9 && Temperature.apply(0.9, t) > 0.5);
  }

  @Test
  void plattScalingReturnsTheMaximumLikelihoodFitNotJustANearbyOne() {
    Calibration.Fit fit = Calibration.fitPlatt(labels, shifted);
    // at the optimum the log-likelihood's gradient in (1/T, b) vanishes
    double a = 1 / fit.temperature();
    double ga = 0;
    double gb = 0;
    for (int i = 0; i < N; i++) {
      double z = Calibration.logit(shifted[i]);
      double r = Temperature.sigmoid(a * z + fit.bias()) - labels[i];
      ga += r * z / N;
      gb += r / N;
    }
    assertEquals(0, ga, 1e-6, "d NLL / d(1/T)");
    assertEquals(0, gb, 1e-6, "d NLL / d b");
  }

  @Test
  void plattScalingOfSeparableScoresStaysInsideTheTemperatureRange() {
    int[] y = {0, 0, 0, 1, 1, 1};
    float[] p = {0.2f, 0.3f, 0.4f, 0.6f, 0.7f, 0.8f};
    Calibration.Fit fit = Calibration.fitPlatt(y, p);
    assertTrue(
        fit.temperature() >= Calibration.MIN_T && fit.temperature() < 1,
        "sharpened, within range: " + fit);
    assertTrue(Double.isFinite(fit.bias()) && Math.abs(fit.bias()) < 1e-3, "symmetric: " + fit);
    assertThrows(
        IllegalArgumentException.class,
        () -> Calibration.fitPlatt(new int[] {1, 0}, new float[] {0.5f}));
  }

  @Test
  void theNegativeLogLikelihoodIsAMeanOverImages() {
    double[] zero = {0, 0, 0, 0};
    assertEquals(Math.log(2), Calibration.nll(new int[] {1, 0, 1, 0}, zero, 1.0), 1e-12);
    double[] logits = {2, -2};
    // softplus(-1) for the positive at z = 2 / 2, softplus(-1) for the negative at z = -1
    assertEquals(Math.log1p(Math.exp(-1)), Calibration.nll(new int[] {1, 0}, logits, 2.0), 1e-12);
    assertEquals(40.0, Calibration.softplus(40.0), 0.0, "large arguments are themselves");
    assertEquals(Math.log1p(Math.exp(29.0)), Calibration.softplus(29.0), 1e-12);
  }

  @Test
  void mismatchedOrEmptyInputIsRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> Calibration.fitTemperature(new int[] {1}, new float[] {0.5f, 0.2f}));
    assertThrows(
        IllegalArgumentException.class, () -> Calibration.fitTemperature(new int[0], new float[0]));
  }
}
