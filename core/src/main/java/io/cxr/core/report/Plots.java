package io.cxr.core.report;

import io.cxr.core.eval.Calibration;
import io.cxr.core.eval.ConfusionMatrix;
import io.cxr.core.eval.EpochRecord;
import io.cxr.core.eval.PrecisionRecallCurve;
import io.cxr.core.eval.RocCurve;
import java.awt.Color;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * PNG plots made with XChart in the {@link Charts} style: confusion matrix, ROC, precision-recall,
 * training curves, reliability diagram.
 */
public final class Plots {
  private Plots() {}

  public static void confusionMatrix(ConfusionMatrix cm, String title, Path png) {
    HeatMapChart chart =
        new HeatMapChartBuilder()
            .width(520)
            .height(460)
            .title(title)
            .xAxisTitle("predicted")
            .yAxisTitle("actual")
            .build();
    Charts.style(chart.getStyler());
    chart.getStyler().setShowValue(true);
    chart.getStyler().setPlotContentSize(1);
    chart.getStyler().setLegendVisible(false);
    chart
        .getStyler()
        .setRangeColors(
            new Color[] {new Color(0xf7fbff), new Color(0xc6dbef), new Color(0x4292c6)});
    List<Number[]> heat = new ArrayList<>();
    // x = predicted (0 NORMAL, 1 PNEUMONIA), y = actual
    heat.add(new Number[] {0, 0, cm.tn()});
    heat.add(new Number[] {1, 0, cm.fp()});
    heat.add(new Number[] {0, 1, cm.fn()});
    heat.add(new Number[] {1, 1, cm.tp()});
    chart.addSeries("count", List.of("NORMAL", "PNEUMONIA"), List.of("NORMAL", "PNEUMONIA"), heat);
    save(chart, png);
  }

  public static void roc(Map<String, RocCurve> curves, Path png) {
    XYChart chart =
        xy(
            "ROC curve",
            "false positive rate (1 - specificity)",
            "true positive rate (sensitivity)");
    for (var e : curves.entrySet()) {
      RocCurve c = e.getValue();
      chart
          .addSeries(
              String.format(Locale.ROOT, "%s (AUC %.3f)", e.getKey(), c.auc()), c.fpr(), c.tpr())
          .setMarker(SeriesMarkers.NONE);
    }
    chart
        .addSeries("chance", new double[] {0, 1}, new double[] {0, 1})
        .setMarker(SeriesMarkers.NONE)
        .setLineColor(Color.GRAY)
        .setLineStyle(SeriesLines.DASH_DASH);
    unitAxes(chart);
    save(chart, png);
  }

  public static void precisionRecall(Map<String, PrecisionRecallCurve> curves, Path png) {
    XYChart chart = xy("Precision-recall curve", "recall (sensitivity)", "precision");
    for (var e : curves.entrySet()) {
      PrecisionRecallCurve c = e.getValue();
      chart
          .addSeries(
              String.format(Locale.ROOT, "%s (AP %.3f)", e.getKey(), c.averagePrecision()),
              c.recall(),
              c.precision())
          .setMarker(SeriesMarkers.NONE);
    }
    unitAxes(chart);
    save(chart, png);
  }

  /**
   * Two panels: training and validation loss (left), validation AUC with the best epoch marked
   * (right).
   */
  public static void trainingCurves(List<EpochRecord> history, String about, Path png) {
    List<List<EpochRecord>> members = members(history);
    XYChart loss = Charts.xy("Loss: " + about, "epoch", "cross-entropy loss", 520, 420);
    boolean ext = !history.isEmpty() && history.stream().allMatch(EpochRecord::hasExternal);
    XYChart auc = Charts.xy((ext ? "AUC: " : "Validation AUC: ") + about, "epoch", "AUC", 520, 420);
    List<Double> bestEpochs = new ArrayList<>();
    List<Double> bestAucs = new ArrayList<>();
    for (int m = 0; m < members.size(); m++) {
      List<EpochRecord> h = members.get(m);
      // an ensemble's networks each train from epoch 1: a series each, named by member
      String of = members.size() > 1 ? " (network " + (m + 1) + ")" : "";
      double[] epochs = h.stream().mapToDouble(EpochRecord::epoch).toArray();
      loss.addSeries(
          "train" + (m == 0 ? " (augmented batches)" : "") + of,
          epochs,
          h.stream().mapToDouble(EpochRecord::trainLoss).toArray());
      loss.addSeries(
          "validation" + of, epochs, h.stream().mapToDouble(EpochRecord::valLoss).toArray());
      XYSeries valAuc =
          auc.addSeries(
              "validation AUC" + of, epochs, h.stream().mapToDouble(EpochRecord::valAuc).toArray());
      if (members.size() == 1) {
        valAuc.setLineColor(Charts.PALETTE[2]);
        valAuc.setMarkerColor(Charts.PALETTE[2]);
      }
      if (ext) {
        // the external sets (data.external): where validation's promise is checked
        loss.addSeries(
            "external" + of, epochs, h.stream().mapToDouble(EpochRecord::externalLoss).toArray());
        auc.addSeries(
            "external AUC" + of,
            epochs,
            h.stream().mapToDouble(EpochRecord::externalAuc).toArray());
      }
      h.stream()
          .filter(EpochRecord::improved)
          .forEach(
              r -> {
                bestEpochs.add((double) r.epoch());
                bestAucs.add(r.valAuc());
              });
    }
    if (!bestEpochs.isEmpty()) {
      XYSeries marks =
          auc.addSeries("new best (early stopping keeps the last)", bestEpochs, bestAucs);
      marks.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
      marks.setMarker(SeriesMarkers.DIAMOND);
      marks.setMarkerColor(Charts.PALETTE[1]);
    }
    Charts.savePanels(List.of(loss, auc), png);
  }

  /**
   * A history split into its networks: an ensemble's members follow one another, each starting
   * again at epoch 1 (or at any epoch not after the one before).
   */
  public static List<List<EpochRecord>> members(List<EpochRecord> history) {
    List<List<EpochRecord>> out = new ArrayList<>();
    List<EpochRecord> current = new ArrayList<>();
    for (EpochRecord r : history) {
      if (!current.isEmpty() && r.epoch() <= current.get(current.size() - 1).epoch()) {
        out.add(current);
        current = new ArrayList<>();
      }
      current.add(r);
    }
    if (!current.isEmpty()) {
      out.add(current);
    }
    return out;
  }

  /**
   * Reliability diagram: per bin of P(PNEUMONIA), the share of images that are PNEUMONIA against
   * the mean score; a calibrated model lies on the diagonal.
   */
  public static void reliability(Map<String, Calibration.Bins> sets, String about, Path png) {
    XYChart chart =
        Charts.xy(
            "Reliability: " + about,
            "mean predicted P(PNEUMONIA)",
            "observed PNEUMONIA share",
            680,
            500);
    for (var e : sets.entrySet()) {
      Calibration.Bins b = e.getValue();
      List<Double> x = new ArrayList<>();
      List<Double> y = new ArrayList<>();
      for (int k = 0; k < b.count().length; k++) {
        if (b.count()[k] > 0) {
          x.add(b.meanScore()[k]);
          y.add(b.observed()[k]);
        }
      }
      chart.addSeries(e.getKey(), x, y).setMarker(SeriesMarkers.CIRCLE);
    }
    chart
        .addSeries("perfectly calibrated", new double[] {0, 1}, new double[] {0, 1})
        .setMarker(SeriesMarkers.NONE)
        .setLineColor(Color.GRAY)
        .setLineStyle(SeriesLines.DASH_DASH);
    unitAxes(chart);
    save(chart, png);
  }

  private static XYChart xy(String title, String x, String y) {
    return Charts.xy(title, x, y, 640, 480);
  }

  private static void unitAxes(XYChart chart) {
    chart.getStyler().setXAxisMin(0.0).setXAxisMax(1.0).setYAxisMin(0.0).setYAxisMax(1.02);
  }

  private static void save(Chart<?, ?> chart, Path png) {
    Charts.save(chart, png);
  }
}
