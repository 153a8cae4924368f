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

/**
 * Saliency maps drawn over X-rays: the image in grey, the map in a perceptually ordered,
 * colour-blind-safe heat scale (inferno: black through purple and orange to yellow) blended where
 * the map is high, and contact sheets of many such panels with captions.
 */
public final class Overlays {
  static {
    System.setProperty("java.awt.headless", "true");
  }

  private Overlays() {}

  /** Side in pixels of one overlay panel (images are upscaled to it). */
  public static final int PANEL = 256;

  /** Anchor colours of matplotlib's inferno map at 0, 0.25, 0.5, 0.75, 1. */
  private static final int[] INFERNO = {0x000004, 0x57106E, 0xBC3754, 0xF98E09, 0xFCFFA4};

  /** One captioned panel of a contact sheet. */
  public record Panel(float[] image, float[] map, int size, String caption) {}

  /** The overlay of one image ({@code size x size}, [0, 1]) and its map, {@value #PANEL} px. */
  public static BufferedImage overlay(float[] image, float[] map, int size) {
    BufferedImage out = new BufferedImage(PANEL, PANEL, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < PANEL; y++) {
      int sy = Math.min(size - 1, y * size / PANEL);
      for (int x = 0; x < PANEL; x++) {
        int sx = Math.min(size - 1, x * size / PANEL);
        float g = Math.max(0, Math.min(1, image[sy * size + sx]));
        float m = Math.max(0, Math.min(1, map[sy * size + sx]));
        int heat = inferno(m);
        double alpha = 0.6 * m; // the map shows where it is high; the X-ray stays readable
        int r = blend(g, (heat >> 16) & 0xFF, alpha);
        int gr = blend(g, (heat >> 8) & 0xFF, alpha);
        int b = blend(g, heat & 0xFF, alpha);
        out.setRGB(x, y, (r << 16) | (gr << 8) | b);
      }
    }
    return out;
  }

  /** Writes one overlay PNG, atomically. */
  public static void write(float[] image, float[] map, int size, Path png) {
    BufferedImage img = overlay(image, map, size);
    AtomicFiles.write(png, out -> ImageIO.write(img, "png", out));
  }

  /** A grid of captioned overlays, {@code columns} wide, written as one PNG, atomically. */
  public static void contactSheet(List<Panel> panels, int columns, String title, Path png) {
    int rows = (panels.size() + columns - 1) / columns;
    int caption = 22;
    int header = 34;
    BufferedImage sheet =
        new BufferedImage(
            columns * PANEL, header + rows * (PANEL + caption), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = sheet.createGraphics();
    try {
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, sheet.getWidth(), sheet.getHeight());
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
      g.drawString(title, 8, 23);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
      for (int i = 0; i < panels.size(); i++) {
        Panel p = panels.get(i);
        int x = (i % columns) * PANEL;
        int y = header + (i / columns) * (PANEL + caption);
        g.drawImage(overlay(p.image(), p.map(), p.size()), x, y, null);
        g.setColor(Color.BLACK);
        g.drawString(p.caption(), x + 6, y + PANEL + 16);
      }
    } finally {
      g.dispose();
    }
    AtomicFiles.write(png, out -> ImageIO.write(sheet, "png", out));
  }

  static int inferno(float v) {
    double pos = v * (INFERNO.length - 1);
    int i = Math.min(INFERNO.length - 2, (int) pos);
    double f = pos - i;
    int a = INFERNO[i];
    int b = INFERNO[i + 1];
    int r = (int) Math.round(((a >> 16) & 0xFF) * (1 - f) + ((b >> 16) & 0xFF) * f);
    int g = (int) Math.round(((a >> 8) & 0xFF) * (1 - f) + ((b >> 8) & 0xFF) * f);
    int bl = (int) Math.round((a & 0xFF) * (1 - f) + (b & 0xFF) * f);
    return (r << 16) | (g << 8) | bl;
  }

  private static int blend(float grey, int heat, double alpha) {
    return (int) Math.round(grey * 255 * (1 - alpha) + heat * alpha);
  }
}
