package io.cxr.core.report;

import io.cxr.core.CxrException;
import io.cxr.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/**
 * Renders a {@link ReportDoc} as one self-contained HTML file: images inlined as data URIs, styles
 * inline, no script, and a content security policy that lets the page load nothing but its own data
 * URIs, so opening it from disk makes no request.
 */
public final class HtmlReport {
  /** The generator tag that marks a file as a cxr report (cxr replaces only files it wrote). */
  public static final String GENERATOR = "cxr report";

  static final String CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

  private static final String STYLE =
      """
      body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;
        margin:0 auto;max-width:1180px;padding:24px 32px 64px}
      h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:36px 0 10px;
        border-bottom:2px solid #0072B2;padding-bottom:4px}
      .subtitle{color:#555;margin:0 0 18px}
      nav ol{columns:3;margin:8px 0 0;padding-left:20px}
      table{border-collapse:collapse;margin:10px 0 16px;font-variant-numeric:tabular-nums}
      caption{text-align:left;font-weight:600;padding:4px 0}
      th,td{border-bottom:1px solid #ddd;padding:4px 10px;text-align:right}
      th:first-child,td:first-child,td.text{text-align:left}th{background:#f4f6f8}
      dl{display:grid;grid-template-columns:max-content auto;gap:3px 14px;margin:10px 0}
      dt{font-weight:600;color:#333}dd{margin:0;word-break:break-all}
      figure{display:inline-block;margin:8px 14px 14px 0;vertical-align:top;max-width:100%}
      figure img{max-width:100%;height:auto;border:1px solid #e5e5e5}
      figcaption{font-size:13px;color:#444;max-width:100%}
      pre{background:#f6f8fa;padding:10px;overflow:auto;font-size:12px;max-height:420px}
      """;

  private HtmlReport() {}

  /**
   * Writes the report to {@code html}, atomically.
   *
   * @param staging the folder holding the PNGs the figures name
   */
  public static void write(ReportDoc doc, Path staging, Path html) {
    AtomicFiles.writeString(html, render(doc, staging));
  }

  /** The report as HTML text. */
  public static String render(ReportDoc doc, Path staging) {
    Document d = Document.createShell("");
    d.outputSettings().prettyPrint(false);
    Element head = d.head();
    head.appendElement("meta").attr("charset", "utf-8");
    head.appendElement("meta").attr("http-equiv", "Content-Security-Policy").attr("content", CSP);
    head.appendElement("meta").attr("name", "generator").attr("content", GENERATOR);
    head.appendElement("meta")
        .attr("name", "viewport")
        .attr("content", "width=device-width, initial-scale=1");
    head.appendElement("title").text(doc.title());
    head.appendElement("style").appendText(STYLE);
    Element body = d.body();
    body.appendElement("h1").text(doc.title());
    body.appendElement("p").addClass("subtitle").text(doc.subtitle());
    Element toc = body.appendElement("nav").appendElement("ol");
    for (ReportDoc.Section s : doc.sections()) {
      toc.appendElement("li").appendElement("a").attr("href", "#" + s.id()).text(s.title());
    }
    for (ReportDoc.Section s : doc.sections()) {
      Element sec = body.appendElement("section").id(s.id());
      sec.appendElement("h2").text(s.title());
      for (ReportDoc.Block b : s.blocks()) {
        block(sec, b, staging);
      }
    }
    return "<!DOCTYPE html>\n" + d.html() + "\n";
  }

  private static void block(Element parent, ReportDoc.Block b, Path staging) {
    if (b instanceof ReportDoc.Text t) {
      parent.appendElement("p").text(t.text());
    } else if (b instanceof ReportDoc.Facts f) {
      Element dl = parent.appendElement("dl");
      f.facts()
          .forEach(
              (k, v) -> {
                dl.appendElement("dt").text(k);
                dl.appendElement("dd").text(v == null ? "-" : v);
              });
    } else if (b instanceof ReportDoc.Table t) {
      Element table = parent.appendElement("table");
      if (t.caption() != null) {
        table.appendElement("caption").text(t.caption());
      }
      Element tr = table.appendElement("thead").appendElement("tr");
      t.header().forEach(h -> tr.appendElement("th").text(h));
      Element tbody = table.appendElement("tbody");
      for (List<String> row : t.rows()) {
        Element r = tbody.appendElement("tr");
        row.forEach(c -> cell(r, c));
      }
    } else if (b instanceof ReportDoc.Figure f) {
      figure(parent, f, staging);
    } else if (b instanceof ReportDoc.Gallery g) {
      Element div = parent.appendElement("div").addClass("gallery");
      g.figures().forEach(f -> figure(div, f, staging));
    } else if (b instanceof ReportDoc.Code c) {
      parent.appendElement("pre").appendElement("code").text(c.text());
    }
  }

  /** A cell: numbers (and "-") right-aligned, text left-aligned. */
  private static void cell(Element row, String c) {
    String v = c == null ? "-" : c;
    Element td = row.appendElement("td").text(v);
    if (!NUMBER.matcher(v).matches()) {
      td.addClass("text");
    }
  }

  private static final java.util.regex.Pattern NUMBER =
      java.util.regex.Pattern.compile("[-+]?[0-9][0-9,.]*(E-?[0-9]+)?%?|-");

  private static void figure(Element parent, ReportDoc.Figure f, Path staging) {
    Path png = staging.resolve(f.file());
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(png);
    } catch (IOException e) {
      throw new CxrException("report figure " + png + ": cannot read it (" + e.getMessage() + ")");
    }
    Element fig = parent.appendElement("figure").attr("style", "width:" + f.width() + "px");
    fig.appendElement("img")
        .attr("src", "data:image/png;base64," + Base64.getEncoder().encodeToString(bytes))
        .attr("alt", f.caption())
        .attr("width", String.valueOf(f.width()))
        .attr("data-file", f.file());
    fig.appendElement("figcaption").text(f.caption());
  }
}
