package io.cxr.core.report;

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
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG plots made with XChart: confusion matrix, ROC, precision-recall, training curves. */
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
    chart.getStyler().setShowValue(true);
    chart.getStyler().setPlotContentSize(1);
    chart.getStyler().setLegendVisible(false);
    chart
        .getStyler()
        .setRangeColors(
            new Color[] {new Color(0xf7fbff), new Color(0xc6dbef), new Color(0x6baed6)});
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
        .setLineColor(Color.LIGHT_GRAY);
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

  public static void trainingCurves(List<EpochRecord> history, Path png) {
    XYChart chart = xy("Training curves", "epoch", "loss");
    double[] epochs = history.stream().mapToDouble(EpochRecord::epoch).toArray();
    chart.addSeries(
        "train loss", epochs, history.stream().mapToDouble(EpochRecord::trainLoss).toArray());
    chart.addSeries(
        "val loss", epochs, history.stream().mapToDouble(EpochRecord::valLoss).toArray());
    XYSeries auc =
        chart.addSeries(
            "val AUC", epochs, history.stream().mapToDouble(EpochRecord::valAuc).toArray());
    auc.setYAxisGroup(1);
    chart.setYAxisGroupTitle(1, "AUC");
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
