package io.cxr.core.hpo;

import io.cxr.core.report.Charts;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;

/** Plots of a search: score per trial, and the most influential parameters against the score. */
final class TrialPlots {
  private TrialPlots() {}

  static void scores(List<Trial> trials, Path png) {
    XYChart chart = chart("Validation AUC per trial", "trial", "val AUC");
    for (TrialState state : List.of(TrialState.COMPLETE, TrialState.PRUNED)) {
      List<Trial> ts = trials.stream().filter(t -> t.state() == state).toList();
      if (!ts.isEmpty()) {
        chart.addSeries(
            state.name().toLowerCase(Locale.ROOT),
            ts.stream().mapToDouble(Trial::number).toArray(),
            ts.stream().mapToDouble(Trial::score).toArray());
      }
    }
    save(chart, png);
  }

  /** Plots the parameters whose values rank-correlate most with the score; returns file names. */
  static List<String> importance(List<Trial> trials, List<String> keys, Path dir) {
    List<Trial> done = trials.stream().filter(t -> t.state() == TrialState.COMPLETE).toList();
    List<double[]> ranked = new ArrayList<>();
    for (int k = 0; k < keys.size(); k++) {
      double[] x = numeric(done, keys.get(k));
      double[] y = done.stream().mapToDouble(Trial::score).toArray();
      ranked.add(new double[] {k, Math.abs(spearman(x, y))});
    }
    ranked.sort(Comparator.comparingDouble((double[] r) -> -(Double.isNaN(r[1]) ? -1 : r[1])));
    List<String> files = new ArrayList<>();
    for (int i = 0; i < Math.min(3, ranked.size()); i++) {
      String key = keys.get((int) ranked.get(i)[0]);
      XYChart chart =
          chart(
              String.format(Locale.ROOT, "%s vs val AUC (|Spearman| %.2f)", key, ranked.get(i)[1]),
              key,
              "val AUC");
      XYSeries s =
          chart.addSeries(
              "trials", numeric(done, key), done.stream().mapToDouble(Trial::score).toArray());
      s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
      String f = "param_" + key.replace('.', '_') + ".png";
      save(chart, dir.resolve(f));
      files.add(f);
    }
    return files;
  }

  /** A parameter as numbers: its value, or for lists and words the index of the distinct value. */
  static double[] numeric(List<Trial> trials, String key) {
    List<String> distinct = new ArrayList<>();
    double[] out = new double[trials.size()];
    for (int i = 0; i < out.length; i++) {
      Object v = trials.get(i).params().get(key);
      if (v instanceof Number n) {
        out[i] = n.doubleValue();
      } else {
        String s = SearchSpace.flow(v);
        if (!distinct.contains(s)) {
          distinct.add(s);
        }
        out[i] = distinct.indexOf(s);
      }
    }
    return out;
  }

  static double spearman(double[] x, double[] y) {
    if (x.length < 3) {
      return Double.NaN;
    }
    double[] rx = ranks(x);
    double[] ry = ranks(y);
    double mx = mean(rx);
    double my = mean(ry);
    double sxy = 0;
    double sxx = 0;
    double syy = 0;
    for (int i = 0; i < rx.length; i++) {
      sxy += (rx[i] - mx) * (ry[i] - my);
      sxx += (rx[i] - mx) * (rx[i] - mx);
      syy += (ry[i] - my) * (ry[i] - my);
    }
    return sxx == 0 || syy == 0 ? 0 : sxy / Math.sqrt(sxx * syy);
  }

  private static double[] ranks(double[] v) {
    Integer[] idx = new Integer[v.length];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = i;
    }
    Arrays.sort(idx, Comparator.comparingDouble(i -> v[i]));
    double[] r = new double[v.length];
    for (int i = 0; i < idx.length; ) {
      int j = i;
      while (j + 1 < idx.length && v[idx[j + 1]] == v[idx[i]]) {
        j++;
      }
      for (int k = i; k <= j; k++) {
        r[idx[k]] = (i + j) / 2.0;
      }
      i = j + 1;
    }
    return r;
  }

  private static double mean(double[] v) {
    double s = 0;
    for (double d : v) {
      s += d;
    }
    return s / v.length;
  }

  private static XYChart chart(String title, String x, String y) {
    XYChart c = Charts.xy(title, x, y, 640, 420);
    c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
    return c;
  }

  private static void save(XYChart chart, Path png) {
    Charts.save(chart, png);
  }
}
