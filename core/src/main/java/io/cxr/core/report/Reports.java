package io.cxr.core.report;

import io.cxr.core.eval.QualityGate;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;

/** Text renderings of metrics and gate results: a console table and a Markdown report. */
public final class Reports {
  private Reports() {}

  private static final List<String[]> ROWS =
      List.of(
          new String[] {"accuracy", "accuracy"},
          new String[] {"f1", "F1"},
          new String[] {"auc", "AUC"},
          new String[] {"average_precision", "average precision"},
          new String[] {"precision", "precision"},
          new String[] {"sensitivity", "sensitivity (recall)"},
          new String[] {"specificity", "specificity"},
          new String[] {"balanced_accuracy", "balanced accuracy"},
          new String[] {"ece", "calibration error (ECE)"},
          new String[] {"brier", "Brier score"});

  /** A fixed-width table of the metrics of the given splits (prefixes), one column each. */
  public static String table(Map<String, Double> m, List<String> splits) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%-22s", "metric"));
    splits.forEach(s -> sb.append(String.format(Locale.ROOT, "%10s", s)));
    sb.append('\n');
    rows(
        m,
        splits,
        (label, values) -> {
          sb.append(String.format(Locale.ROOT, "%-22s", label));
          values.forEach(
              v ->
                  sb.append(
                      v == null
                          ? String.format("%10s", "-")
                          : String.format(Locale.ROOT, "%10.4f", v)));
          sb.append('\n');
        });
    confusions(
        m,
        splits,
        (s, c) ->
            sb.append(
                String.format(
                    Locale.ROOT,
                    "%s confusion: TP %d  FP %d  TN %d  FN %d (n=%d)%n",
                    s,
                    c[0],
                    c[1],
                    c[2],
                    c[3],
                    c[4])));
    return sb.toString();
  }

  public static String gateTable(QualityGate.Result gate) {
    StringBuilder sb = new StringBuilder("quality gate:\n");
    for (QualityGate.Check c : gate.checks()) {
      sb.append("  ").append(c.describe()).append('\n');
    }
    sb.append("  => ").append(gate.passed() ? "PASSED" : "FAILED").append('\n');
    return sb.toString();
  }

  /** A Markdown report of an evaluation. */
  public static String markdown(
      String title,
      Map<String, String> facts,
      Map<String, Double> m,
      List<String> splits,
      QualityGate.Result gate,
      List<String> images) {
    StringBuilder sb = new StringBuilder("# ").append(title).append("\n\n");
    facts.forEach((k, v) -> sb.append("- **").append(k).append("**: ").append(v).append('\n'));
    sb.append("\n## Metrics\n\n| metric |");
    splits.forEach(s -> sb.append(' ').append(s).append(" |"));
    sb.append("\n|---|");
    splits.forEach(s -> sb.append("---:|"));
    sb.append('\n');
    rows(
        m,
        splits,
        (label, values) -> {
          sb.append("| ").append(label).append(" |");
          values.forEach(
              v ->
                  sb.append(' ')
                      .append(v == null ? "-" : String.format(Locale.ROOT, "%.4f", v))
                      .append(" |"));
          sb.append('\n');
        });
    confusions(
        m,
        splits,
        (s, c) ->
            sb.append(
                String.format(
                    Locale.ROOT,
                    "%n**Confusion (%s)**%n%n| | predicted NORMAL | predicted PNEUMONIA |%n|---|---:|---:|%n"
                        + "| actual NORMAL | %d | %d |%n| actual PNEUMONIA | %d | %d |%n",
                    s,
                    c[2],
                    c[1],
                    c[3],
                    c[0])));
    if (gate != null) {
      sb.append("\n## Quality gate: ")
          .append(gate.passed() ? "PASSED" : "FAILED")
          .append("\n\n| check | value | bound | result |\n|---|---:|---:|---|\n");
      for (QualityGate.Check c : gate.checks()) {
        sb.append(
            String.format(
                Locale.ROOT,
                "| %s | %s | %s %.4f | %s |%n",
                c.name(),
                c.value() == null ? "missing" : String.format(Locale.ROOT, "%.4f", c.value()),
                c.op(),
                c.bound(),
                c.passed() ? "pass" : "**fail**"));
      }
    }
    if (!images.isEmpty()) {
      sb.append("\n## Plots\n\n");
      images.forEach(i -> sb.append("![").append(i).append("](").append(i).append(")\n"));
    }
    return sb.toString();
  }

  /** The metric rows as table cells: the label, then each split's value to 4 places ("-"). */
  public static List<List<String>> rowsOf(Map<String, Double> m, List<String> splits) {
    List<List<String>> out = new java.util.ArrayList<>();
    rows(
        m,
        splits,
        (label, values) -> {
          List<String> row = new java.util.ArrayList<>(List.of(label));
          values.forEach(v -> row.add(v == null ? "-" : String.format(Locale.ROOT, "%.4f", v)));
          out.add(row);
        });
    return out;
  }

  /** Each metric row: its label and the values of the splits (null where missing). */
  private static void rows(
      Map<String, Double> m, List<String> splits, BiConsumer<String, List<Double>> row) {
    for (String[] r : ROWS) {
      row.accept(r[1], splits.stream().map(s -> m.get(s + "_" + r[0])).toList());
    }
  }

  /** Each split's confusion counts {tp, fp, tn, fn, n}, for the splits that have them. */
  private static void confusions(
      Map<String, Double> m, List<String> splits, BiConsumer<String, long[]> out) {
    for (String s : splits) {
      if (m.containsKey(s + "_tp")) {
        long[] c = new long[5];
        String[] keys = {"_tp", "_fp", "_tn", "_fn", "_n"};
        for (int k = 0; k < keys.length; k++) {
          Double v = m.get(s + keys[k]);
          c[k] = v == null ? 0 : v.longValue();
        }
        out.accept(s, c);
      }
    }
  }
}
