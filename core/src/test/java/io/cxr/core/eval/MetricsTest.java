package io.cxr.core.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetricsTest {
  static final int[] Y = {0, 0, 0, 0, 1, 1, 1, 1, 1, 1};
  static final float[] P = {0.1f, 0.4f, 0.35f, 0.8f, 0.9f, 0.7f, 0.6f, 0.3f, 0.95f, 0.55f};

  @Test
  void confusionAndRates() {
    ConfusionMatrix c = ConfusionMatrix.of(Y, P, 0.5);
    assertEquals(new ConfusionMatrix(5, 1, 3, 1), c);
    assertEquals(0.8, c.accuracy(), 1e-12);
    assertEquals(5 / 6.0, c.precision(), 1e-12);
    assertEquals(5 / 6.0, c.sensitivity(), 1e-12);
    assertEquals(0.75, c.specificity(), 1e-12);
    assertEquals(10 / 12.0, c.f1(), 1e-12);
  }

  @Test
  void aucIsTheMannWhitneyProbability() {
    // brute force: P(score of a positive > score of a negative), ties 1/2
    double wins = 0;
    int pairs = 0;
    for (int i = 0; i < Y.length; i++) {
      for (int j = 0; j < Y.length; j++) {
        if (Y[i] == 1 && Y[j] == 0) {
          pairs++;
          wins += P[i] > P[j] ? 1 : P[i] == P[j] ? 0.5 : 0;
        }
      }
    }
    assertEquals(wins / pairs, RocCurve.of(Y, P).auc(), 1e-12);
    float[] tied = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
    assertEquals(0.5, RocCurve.of(Y, tied).auc(), 1e-12);
    assertTrue(Double.isNaN(RocCurve.of(new int[] {1, 1}, new float[] {0.2f, 0.3f}).auc()));
  }

  @Test
  void averagePrecisionOfAPerfectRankingIsOne() {
    float[] perfect = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f, 0.95f};
    assertEquals(1.0, PrecisionRecallCurve.of(Y, perfect).averagePrecision(), 1e-12);
    assertEquals(1.0, RocCurve.of(Y, perfect).auc(), 1e-12);
  }

  @Test
  void youdenThresholdSeparatesAPerfectRanking() {
    float[] perfect = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f, 0.95f};
    double t = ThresholdSelector.choose(io.cxr.core.config.ThresholdRule.YOUDEN, 0.5, Y, perfect);
    assertEquals(0.45, t, 1e-6);
    ConfusionMatrix c = ConfusionMatrix.of(Y, perfect, t);
    assertEquals(1.0, c.accuracy());
    assertEquals(0.3, ThresholdSelector.choose(io.cxr.core.config.ThresholdRule.FIXED, 0.3, Y, P));
  }

  @Test
  void allPneumoniaModelScoresHighF1ButFailsTheGate() {
    // the trap the gate exists for: on Kermany's test mix, "always PNEUMONIA" has F1 0.77+
    int[] y = new int[624];
    for (int i = 234; i < 624; i++) {
      y[i] = 1;
    }
    float[] always = new float[624];
    java.util.Arrays.fill(always, 0.9f);
    BinaryMetrics m = BinaryMetrics.of(y, always, 0.5);
    assertTrue(m.confusion().f1() > 0.76);
    Map<String, Double> flat = new HashMap<>(m.flat("test"));
    flat.put("train_f1", m.confusion().f1());
    QualityGate.Result gate = QualityGate.check(defaults().gate(), flat);
    assertFalse(gate.passed());
    assertFalse(check(gate, "test specificity").passed());
    assertFalse(check(gate, "test AUC").passed());
  }

  @Test
  void gateChecksEachBound() {
    CxrConfig.Gate g = defaults().gate();
    Map<String, Double> good =
        new HashMap<>(
            Map.of(
                "test_f1",
                0.9,
                "test_accuracy",
                0.88,
                "test_auc",
                0.95,
                "test_specificity",
                0.75,
                "train_f1",
                0.95));
    assertTrue(QualityGate.check(g, good).passed());
    good.put("train_f1", 1.06);
    QualityGate.Result overfit = QualityGate.check(g, good);
    assertFalse(overfit.passed());
    assertFalse(check(overfit, "train-test F1 gap").passed());
    good.put("train_f1", 0.95);
    good.put("test_specificity", 0.69);
    assertFalse(QualityGate.check(g, good).passed());
    good.put("test_specificity", 0.70);
    assertTrue(QualityGate.check(g, good).passed(), "bounds are inclusive");
    good.remove("test_auc");
    QualityGate.Result missing = QualityGate.check(g, good);
    assertFalse(missing.passed());
    assertEquals(null, check(missing, "test AUC").value());
    assertTrue(check(missing, "test AUC").describe().contains("missing"));
  }

  @Test
  void gateFailsOnEachOfF1AccuracyAndAucJustBelowItsBoundAndPassesAtIt() {
    CxrConfig.Gate g = defaults().gate();
    Map<String, Double> good =
        new HashMap<>(
            Map.of(
                "test_f1", 0.9,
                "test_accuracy", 0.88,
                "test_auc", 0.95,
                "test_specificity", 0.75,
                "train_f1", 0.95));
    Object[][] bounds = {
      {"test_f1", g.minTestF1(), "test F1"},
      {"test_accuracy", g.minTestAccuracy(), "test accuracy"},
      {"test_auc", g.minTestAuc(), "test AUC"},
    };
    for (Object[] b : bounds) {
      Map<String, Double> m = new HashMap<>(good);
      String key = (String) b[0];
      double bound = (Double) b[1];
      m.put(key, bound - 1e-4);
      if (key.equals("test_f1")) {
        m.put("train_f1", bound); // keep the F1 gap inside its own bound
      }
      QualityGate.Result below = QualityGate.check(g, m);
      assertFalse(below.passed(), key + " below " + bound);
      assertFalse(check(below, (String) b[2]).passed(), key);
      m.put(key, bound);
      assertTrue(QualityGate.check(g, m).passed(), key + " at its bound passes");
    }
  }

  private static QualityGate.Check check(QualityGate.Result r, String name) {
    return r.checks().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
  }

  private static CxrConfig defaults() {
    return ConfigLoader.load(null, List.of());
  }
}
