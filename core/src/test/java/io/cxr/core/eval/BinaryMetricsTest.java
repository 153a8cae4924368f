package io.cxr.core.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Figures worked out by hand on small sets (written against PIT's surviving mutants). */
class BinaryMetricsTest {
  // 3 pneumonia, 2 normal; at 0.5: TP 2 (0.9, 0.8), FN 1 (0.3), FP 1 (0.7), TN 1 (0.2)
  private static final int[] LABELS = {1, 1, 1, 0, 0};
  private static final float[] SCORES = {0.9f, 0.8f, 0.3f, 0.2f, 0.7f};

  @Test
  void theFlatMapHoldsEveryFigureUnderItsPrefix() {
    Map<String, Double> m = BinaryMetrics.of(LABELS, SCORES, 0.5).flat("val");
    assertEquals(16, m.size());
    assertEquals(0.6, m.get("val_accuracy"), 1e-12);
    assertEquals(2.0 / 3, m.get("val_sensitivity"), 1e-12);
    assertEquals(0.5, m.get("val_specificity"), 1e-12);
    assertEquals((2.0 / 3 + 0.5) / 2, m.get("val_balanced_accuracy"), 1e-12);
    assertEquals(2.0 / 3, m.get("val_precision"), 1e-12);
    assertEquals(4.0 / 6, m.get("val_f1"), 1e-12);
    assertEquals(2.0, m.get("val_tp"));
    assertEquals(1.0, m.get("val_fp"));
    assertEquals(1.0, m.get("val_tn"));
    assertEquals(1.0, m.get("val_fn"));
    assertEquals(5.0, m.get("val_n"));
    // AUC: of the 6 (pneumonia, normal) pairs, 5 are ordered right (only 0.3 < 0.7 is not)
    assertEquals(5.0 / 6, m.get("val_auc"), 1e-12);
    double loss =
        -(Math.log(0.9) + Math.log(0.8) + Math.log(0.3) + Math.log(1 - 0.2) + Math.log(1 - 0.7))
            / 5;
    assertEquals(loss, m.get("val_log_loss"), 1e-6);
    assertTrue(m.get("val_brier") > 0 && m.get("val_ece") > 0);
  }

  @Test
  void aScoreAtTheThresholdIsPositive() {
    ConfusionMatrix c = ConfusionMatrix.of(new int[] {1, 0}, new float[] {0.5f, 0.5f}, 0.5);
    assertEquals(1, c.tp());
    assertEquals(1, c.fp());
  }

  @Test
  void certainWrongScoresGiveAFiniteLossAndAnEmptySetGivesNaN() {
    BinaryMetrics wrong = BinaryMetrics.of(new int[] {1, 0}, new float[] {0f, 1f}, 0.5);
    assertEquals(-Math.log(1e-7), wrong.logLoss(), 1e-3);
    BinaryMetrics none = BinaryMetrics.of(new int[0], new float[0], 0.5);
    assertTrue(Double.isNaN(none.logLoss()));
    assertTrue(Double.isNaN(none.ece()));
    assertTrue(Double.isNaN(none.brier()));
    assertEquals(0, none.n());
  }

  @Test
  void averagePrecisionSumsPrecisionOverRecallSteps() {
    // ranked 0.9(1) 0.8(1) 0.7(0) 0.3(1) 0.2(0): precision at each hit 1, 1, 3/4; recall steps 1/3
    PrecisionRecallCurve pr = PrecisionRecallCurve.of(LABELS, SCORES);
    assertEquals((1 + 1 + 0.75) / 3, pr.averagePrecision(), 1e-12);
  }

  @Test
  void roundingKeepsSixDecimalsTheOrderAndTurnsNaNIntoNull() {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("b", 0.12345678);
    m.put("a", Double.NaN);
    m.put("c", 2.5e-7);
    Map<String, Double> r = MetricMaps.rounded(m);
    assertEquals(List.of("b", "a", "c"), List.copyOf(r.keySet()));
    assertEquals(0.123457, r.get("b"));
    assertNull(r.get("a"));
    assertEquals(0.0, r.get("c"));
  }

  @Test
  void aGateBoundIsMetExactlyAtTheBound() {
    CxrConfig.Gate g = ConfigLoader.load(null, List.of()).gate();
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("test_f1", g.minTestF1());
    m.put("test_accuracy", g.minTestAccuracy());
    m.put("test_auc", g.minTestAuc());
    m.put("test_specificity", g.minTestSpecificity());
    m.put("train_f1", g.minTestF1() + g.maxTrainTestF1Gap());
    QualityGate.Result at = QualityGate.check(g, m);
    assertTrue(at.passed(), at.toString());
    m.put("test_auc", g.minTestAuc() - 1e-6);
    QualityGate.Result below = QualityGate.check(g, m);
    assertFalse(below.passed());
    m.put("test_auc", g.minTestAuc());
    m.put("train_f1", g.minTestF1() + g.maxTrainTestF1Gap() + 1e-6);
    assertFalse(QualityGate.check(g, m).passed(), "a gap just above the bound fails");
  }

  @Test
  void aMissingValueIsDescribedAsMissing() {
    CxrConfig.Gate g = ConfigLoader.load(null, List.of()).gate();
    QualityGate.Result r = QualityGate.check(g, Map.of());
    assertFalse(r.passed());
    assertTrue(r.checks().get(0).describe().contains("missing"), r.checks().get(0).describe());
    assertTrue(r.checks().get(0).describe().endsWith("FAIL"));
  }

  @Test
  void youdenTakesTheFirstBestPointAndTheMidpointBelowIt() {
    // ranked 0.9(1) 0.8(1) 0.7(0) 0.3(1) 0.2(0): J is best (2/3 - 0 = 0.667) after 0.8;
    // the threshold sits half way between 0.8 and 0.7
    assertEquals(
        (0.8 + 0.7) / 2,
        ThresholdSelector.choose(io.cxr.core.config.ThresholdRule.YOUDEN, 0.5, LABELS, SCORES),
        1e-6);
    // F1 is best (6/7) after 0.3, with everything but 0.2 positive: half way to 0.2
    assertEquals(
        (0.3 + 0.2) / 2,
        ThresholdSelector.choose(io.cxr.core.config.ThresholdRule.F1, 0.5, LABELS, SCORES),
        1e-6);
    assertEquals(
        0.42,
        ThresholdSelector.choose(io.cxr.core.config.ThresholdRule.FIXED, 0.42, LABELS, SCORES));
  }

  @Test
  void aTargetSensitivityTakesTheHighestThresholdReachingIt() {
    // ranked 0.9(1) 0.8(1) 0.7(0) 0.3(1) 0.2(0): sensitivity 1/3 after 0.9, 2/3 after 0.8, 1 after
    // 0.3; each target takes the first threshold reaching it, half way to the next score
    assertEquals(
        (0.9 + 0.8) / 2,
        ThresholdSelector.choose(
            io.cxr.core.config.ThresholdRule.SENSITIVITY, 0.5, 0.3, LABELS, SCORES),
        1e-6);
    assertEquals(
        (0.8 + 0.7) / 2,
        ThresholdSelector.choose(
            io.cxr.core.config.ThresholdRule.SENSITIVITY, 0.5, 2.0 / 3, LABELS, SCORES),
        1e-6,
        "exactly reached counts");
    assertEquals(
        (0.3 + 0.2) / 2,
        ThresholdSelector.choose(
            io.cxr.core.config.ThresholdRule.SENSITIVITY, 0.5, 0.7, LABELS, SCORES),
        1e-6);
    assertEquals(
        (0.3 + 0.2) / 2,
        ThresholdSelector.choose(
            io.cxr.core.config.ThresholdRule.SENSITIVITY, 0.5, 1.0, LABELS, SCORES),
        1e-6);
    // the 4-argument form is the screening default, 0.95
    assertEquals(
        (0.3 + 0.2) / 2,
        ThresholdSelector.choose(io.cxr.core.config.ThresholdRule.SENSITIVITY, 0.5, LABELS, SCORES),
        1e-6);
  }

  @Test
  void whenTheBestPointIsTheLastTheThresholdIsHalfItsScore() {
    // only positives: F1 is best with everything positive, after the lowest score 0.4
    assertEquals(
        0.2,
        ThresholdSelector.choose(
            io.cxr.core.config.ThresholdRule.F1, 0.5, new int[] {1, 1}, new float[] {0.8f, 0.4f}),
        1e-6);
  }

  @Test
  void ofTwoEquallyGoodThresholdsTheHigherIsChosen() {
    // J = 0.5 after 0.9 (half the positives, no negative) and after 0.7 (all positives, half the
    // negatives): the first, stricter one wins
    int[] y = {1, 0, 1, 0};
    float[] p = {0.9f, 0.8f, 0.7f, 0.6f};
    assertEquals(
        (0.9 + 0.8) / 2,
        ThresholdSelector.choose(io.cxr.core.config.ThresholdRule.YOUDEN, 0.5, y, p),
        1e-6);
  }
}
