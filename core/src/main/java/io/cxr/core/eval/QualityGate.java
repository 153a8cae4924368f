package io.cxr.core.eval;

import io.cxr.core.config.CxrConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Decides whether a model may be registered. Each check compares one metric with a bound from
 * {@code gate.*}; a missing metric fails its check. F1 alone proves little on this data (calling
 * every image PNEUMONIA scores F1 0.77), hence AUC and specificity too.
 */
public final class QualityGate {
  private QualityGate() {}

  /** One check: {@code value op bound}. */
  public record Check(
      String name, String metric, String op, double bound, Double value, boolean passed) {
    public String describe() {
      return String.format(
          Locale.ROOT,
          "%-22s %s %s %.4f  %s",
          name,
          value == null ? "missing" : String.format(Locale.ROOT, "%.4f", value),
          op,
          bound,
          passed ? "PASS" : "FAIL");
    }
  }

  /** All checks and the verdict. */
  public record Result(List<Check> checks) {
    public boolean passed() {
      return checks.stream().allMatch(Check::passed);
    }
  }

  public static Result check(CxrConfig.Gate gate, Map<String, Double> metrics) {
    List<Check> checks = new ArrayList<>();
    checks.add(min("test F1", "test_f1", gate.minTestF1(), metrics));
    checks.add(min("test accuracy", "test_accuracy", gate.minTestAccuracy(), metrics));
    checks.add(min("test AUC", "test_auc", gate.minTestAuc(), metrics));
    checks.add(min("test specificity", "test_specificity", gate.minTestSpecificity(), metrics));
    Double train = metrics.get("train_f1");
    Double test = metrics.get("test_f1");
    Double gap = train == null || test == null ? null : train - test;
    checks.add(
        new Check(
            "train-test F1 gap",
            "train_f1 - test_f1",
            "<=",
            gate.maxTrainTestF1Gap(),
            gap,
            gap != null && gap <= gate.maxTrainTestF1Gap() + 1e-12));
    return new Result(checks);
  }

  private static Check min(String name, String key, double bound, Map<String, Double> m) {
    Double v = m.get(key);
    boolean ok = v != null && !v.isNaN() && v >= bound - 1e-12;
    return new Check(name, key, ">=", bound, v, ok);
  }
}
