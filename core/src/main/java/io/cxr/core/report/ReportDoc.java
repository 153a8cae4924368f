package io.cxr.core.report;

import java.util.List;
import java.util.Map;

/**
 * A report as a tree of sections and blocks, independent of its rendering: {@link HtmlReport} makes
 * one self-contained HTML file of it, {@link MarkdownReport} a Markdown file with PNGs beside it.
 * Figures name PNG files of a staging folder, which both renderers read.
 */
public record ReportDoc(String title, String subtitle, List<Section> sections) {

  /** A titled part of the report; {@code id} is its anchor (and what tests look for). */
  public record Section(String id, String title, List<Block> blocks) {}

  /** One element of a section. */
  public sealed interface Block permits Text, Facts, Table, Figure, Gallery, Code {}

  /** A paragraph of plain text. */
  public record Text(String text) implements Block {}

  /** Named values, in order. */
  public record Facts(Map<String, String> facts) implements Block {}

  /** A table; cells are plain text. */
  public record Table(String caption, List<String> header, List<List<String>> rows)
      implements Block {}

  /**
   * A PNG of the staging folder with its caption.
   *
   * @param width the width to show it at, in CSS pixels (PNGs are drawn at 2x for sharpness)
   */
  public record Figure(String file, String caption, int width) implements Block {}

  /** Figures side by side. */
  public record Gallery(List<Figure> figures) implements Block {}

  /** Preformatted text (a config, a log). */
  public record Code(String text) implements Block {}
}
