package io.cxr.core.report;

import io.cxr.core.io.AtomicFiles;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

/**
 * The one place charts are made, styled and saved, so every plot looks the same: the Okabe-Ito
 * colour-blind-safe palette, readable sans-serif fonts, a light grid, the legend outside the plot
 * area, rendered at {@value #SCALE}x for sharp images on high-density screens and in reports, PNG
 * written atomically.
 */
public final class Charts {
  static {
    System.setProperty("java.awt.headless", "true");
  }

  private Charts() {}

  /** Pixels per chart unit in the written PNGs. */
  public static final int SCALE = 2;

  /** Okabe and Ito (2008): distinguishable with every common colour-vision deficiency. */
  public static final Color[] PALETTE = {
    new Color(0x0072B2), // blue
    new Color(0xD55E00), // vermillion
    new Color(0x009E73), // bluish green
    new Color(0xE69F00), // orange
    new Color(0xCC79A7), // reddish purple
    new Color(0x56B4E9), // sky blue
    new Color(0x000000),
  };

  static final Color GRID = new Color(0xE5E5E5);

  /** An XY chart with titles, in the common style. */
  public static XYChart xy(String title, String x, String y, int width, int height) {
    XYChart chart =
        new XYChartBuilder()
            .width(width)
            .height(height)
            .title(title)
            .xAxisTitle(x)
            .yAxisTitle(y)
            .build();
    return legendBelow(chart);
  }

  /** A bar chart with titles, in the common style (legend below). */
  public static CategoryChart category(String title, String x, String y, int width, int height) {
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(width)
            .height(height)
            .title(title)
            .xAxisTitle(x)
            .yAxisTitle(y)
            .build();
    return legendBelow(chart);
  }

  /** The common style with the legend in one row below the plot. */
  private static <C extends Chart<?, ?>> C legendBelow(C chart) {
    Styler s = chart.getStyler();
    style(s);
    s.setLegendPosition(Styler.LegendPosition.OutsideS);
    s.setLegendLayout(Styler.LegendLayout.Horizontal);
    return chart;
  }

  /** The common look: palette, fonts, grid, no border. */
  public static void style(Styler s) {
    s.setSeriesColors(PALETTE);
    s.setChartBackgroundColor(Color.WHITE);
    s.setPlotBackgroundColor(Color.WHITE);
    s.setPlotBorderVisible(false);
    s.setLegendBorderColor(Color.WHITE);
    s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    s.setChartTitleBoxVisible(false);
    s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    s.setAntiAlias(true);
    if (s instanceof org.knowm.xchart.style.AxesChartStyler a) {
      a.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
      a.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      a.setPlotGridLinesColor(GRID);
      a.setAxisTickMarksColor(Color.DARK_GRAY);
    }
  }

  /** Writes a chart as a PNG at {@value #SCALE}x, atomically. */
  public static void save(Chart<?, ?> chart, Path png) {
    savePanels(List.of(chart), png);
  }

  /** Writes charts side by side as one PNG (separate panels of one figure), atomically. */
  public static void savePanels(List<? extends Chart<?, ?>> charts, Path png) {
    int w = charts.stream().mapToInt(Chart::getWidth).sum();
    int h = charts.stream().mapToInt(Chart::getHeight).max().orElse(1);
    BufferedImage img = new BufferedImage(w * SCALE, h * SCALE, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, img.getWidth(), img.getHeight());
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.scale(SCALE, SCALE);
      int x = 0;
      for (Chart<?, ?> c : charts) {
        Graphics2D panel = (Graphics2D) g.create(x, 0, c.getWidth(), c.getHeight());
        try {
          c.paint(panel, c.getWidth(), c.getHeight());
        } finally {
          panel.dispose();
        }
        x += c.getWidth();
      }
    } finally {
      g.dispose();
    }
    AtomicFiles.write(png, out -> ImageIO.write(img, "png", out));
  }
}
