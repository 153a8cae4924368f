package io.cxr.core.report;

import io.cxr.core.io.AtomicFiles;
import java.nio.file.Path;
import java.util.List;

/**
 * Renders a {@link ReportDoc} as GitHub-flavoured Markdown whose images are the PNG files beside it
 * (the variant for pull-request comments and repositories).
 */
public final class MarkdownReport {
  private MarkdownReport() {}

  /** Writes the Markdown to {@code md}, atomically; figures link to files in md's folder. */
  public static void write(ReportDoc doc, Path md) {
    AtomicFiles.writeString(md, render(doc));
  }

  /** The report as Markdown text. */
  public static String render(ReportDoc doc) {
    StringBuilder sb = new StringBuilder("# ").append(inline(doc.title())).append("\n\n");
    sb.append(inline(doc.subtitle())).append("\n");
    for (ReportDoc.Section s : doc.sections()) {
      sb.append("\n## ").append(inline(s.title())).append("\n");
      for (ReportDoc.Block b : s.blocks()) {
        sb.append('\n');
        block(sb, b);
      }
    }
    return sb.toString();
  }

  private static void block(StringBuilder sb, ReportDoc.Block b) {
    if (b instanceof ReportDoc.Text t) {
      sb.append(inline(t.text())).append('\n');
    } else if (b instanceof ReportDoc.Facts f) {
      f.facts()
          .forEach(
              (k, v) ->
                  sb.append("- **")
                      .append(inline(k))
                      .append("**: ")
                      .append(inline(v == null ? "-" : v))
                      .append('\n'));
    } else if (b instanceof ReportDoc.Table t) {
      if (t.caption() != null) {
        sb.append("**").append(inline(t.caption())).append("**\n\n");
      }
      row(sb, t.header());
      sb.append('|');
      for (int i = 0; i < t.header().size(); i++) {
        sb.append(i == 0 ? "---|" : "---:|");
      }
      sb.append('\n');
      t.rows().forEach(r -> row(sb, r));
    } else if (b instanceof ReportDoc.Figure f) {
      figure(sb, f);
    } else if (b instanceof ReportDoc.Gallery g) {
      g.figures().forEach(f -> figure(sb, f));
    } else if (b instanceof ReportDoc.Code c) {
      sb.append("```\n").append(c.text().strip()).append("\n```\n");
    }
  }

  private static void figure(StringBuilder sb, ReportDoc.Figure f) {
    sb.append("![")
        .append(inline(f.caption()))
        .append("](")
        .append(f.file())
        .append(")\n*")
        .append(inline(f.caption()))
        .append("*\n\n");
  }

  private static void row(StringBuilder sb, List<String> cells) {
    sb.append('|');
    cells.forEach(c -> sb.append(' ').append(cell(c)).append(" |"));
    sb.append('\n');
  }

  private static String cell(String c) {
    return inline(c == null ? "-" : c).replace("|", "\\|");
  }

  /** One line of text with Markdown's active characters escaped. */
  static String inline(String s) {
    return s.replace("\\", "\\\\")
        .replace("*", "\\*")
        .replace("_", "\\_")
        .replace("`", "\\`")
        .replace("[", "\\[")
        .replace("]", "\\]")
        .replace("<", "&lt;")
        .replace("\r", " ")
        .replace("\n", " ");
  }
}
