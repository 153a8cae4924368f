package io.cxr.core.report;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.XYChart;

/** The data plots of {@code cxr report}, in the {@link Charts} style. */
public final class DataPlots {
  /** Classes in label order (0 NORMAL, 1 PNEUMONIA). */
  public static final List<String> CLASSES = List.of("NORMAL", "PNEUMONIA");

  private DataPlots() {}

  /** Grouped bars: images per class in each split. */
  public static void classBalance(Map<String, int[]> perSplit, String about, Path png) {
    CategoryChart chart =
        Charts.category("Images per class and split: " + about, "split", "images", 560, 400);
    chart.getStyler().setLabelsVisible(true);
    List<String> splits = new ArrayList<>(perSplit.keySet());
    for (int c = 0; c < CLASSES.size(); c++) {
      final int k = c;
      chart.addSeries(
          CLASSES.get(c), splits, splits.stream().map(s -> (Number) perSplit.get(s)[k]).toList());
    }
    Charts.save(chart, png);
  }

  /**
   * Two panels: the distribution of pixel intensities per class, and of each image's mean intensity
   * (exposure) per class; densities, so classes of different sizes compare.
   *
   * @param x images of {@code pixels} values in [0, 1], one after another
   */
  public static void intensities(float[] x, int[] y, int pixels, String about, Path png) {
    int bins = 50;
    double[] centres = new double[bins];
    for (int b = 0; b < bins; b++) {
      centres[b] = (b + 0.5) / bins;
    }
    XYChart pix = Charts.xy("Pixel intensity: " + about, "intensity", "density", 520, 400);
    XYChart mean = Charts.xy("Image mean (exposure): " + about, "image mean", "density", 520, 400);
    for (int c = 0; c < CLASSES.size(); c++) {
      double[] hp = new double[bins];
      double[] hm = new double[bins];
      long np = 0;
      long nm = 0;
      for (int i = 0; i < y.length; i++) {
        if (y[i] != c) {
          continue;
        }
        double sum = 0;
        for (int p = 0; p < pixels; p++) {
          float v = x[i * pixels + p];
          hp[bin(v, bins)]++;
          sum += v;
        }
        np += pixels;
        hm[bin(sum / pixels, bins)]++;
        nm++;
      }
      for (int b = 0; b < bins; b++) {
        hp[b] = np == 0 ? 0 : hp[b] * bins / np;
        hm[b] = nm == 0 ? 0 : hm[b] * bins / nm;
      }
      pix.addSeries(CLASSES.get(c), centres, hp);
      mean.addSeries(CLASSES.get(c), centres, hm);
    }
    Charts.savePanels(List.of(pix, mean), png);
  }

  /** A histogram per class of one image property (source widths or heights, say). */
  public static void histogram(
      Map<String, double[]> perClass, String title, String xLabel, int bins, Path png) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (double[] v : perClass.values()) {
      for (double d : v) {
        lo = Math.min(lo, d);
        hi = Math.max(hi, d);
      }
    }
    if (!(hi > lo)) {
      hi = lo + 1;
      lo = lo - 1;
    }
    CategoryChart chart = Charts.category(title, xLabel, "images", 640, 400);
    chart.getStyler().setOverlapped(true);
    chart.getStyler().setXAxisDecimalPattern("#");
    chart.getStyler().setXAxisMaxLabelCount(10);
    List<Double> centres = new ArrayList<>();
    double width = (hi - lo) / bins;
    for (int b = 0; b < bins; b++) {
      centres.add(Math.rint(lo + (b + 0.5) * width));
    }
    for (var e : perClass.entrySet()) {
      List<Number> counts = new ArrayList<>();
      double[] h = new double[bins];
      for (double d : e.getValue()) {
        h[Math.min(bins - 1, (int) ((d - lo) / width))]++;
      }
      for (double c : h) {
        counts.add(c);
      }
      chart.addSeries(e.getKey(), centres, counts);
    }
    Charts.save(chart, png);
  }

  private static int bin(double v, int bins) {
    return Math.max(0, Math.min(bins - 1, (int) (v * bins)));
  }
}
