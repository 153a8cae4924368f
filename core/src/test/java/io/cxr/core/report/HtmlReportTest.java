package io.cxr.core.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.CxrException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HtmlReportTest {
  private static ReportDoc doc(String hostile) {
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put("file", hostile);
    return new ReportDoc(
        "title " + hostile,
        "sub",
        List.of(
            new ReportDoc.Section(
                "one",
                "Section one",
                List.of(
                    new ReportDoc.Text(hostile),
                    new ReportDoc.Facts(facts),
                    new ReportDoc.Table(
                        "t", List.of("name", "value"), List.of(List.of(hostile, "0.5000"))),
                    new ReportDoc.Figure("a.png", "caption " + hostile, 300))),
            new ReportDoc.Section(
                "two", "Section two", List.of(new ReportDoc.Code("key: " + hostile)))));
  }

  @Test
  void textIsEscapedImagesAreInlinedAndThePolicyForbidsEveryRequest(@TempDir Path dir)
      throws Exception {
    byte[] png = {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3};
    Files.write(dir.resolve("a.png"), png);
    String hostile = "<script>alert(1)</script> & \"x\" | *y* `z`";
    String html = HtmlReport.render(doc(hostile), dir);
    assertFalse(html.contains("<script>"), "text must be escaped");
    Document d = Jsoup.parse(html);
    assertEquals(0, d.select("script").size());
    assertEquals(hostile, d.select("section#one p").first().text());
    assertEquals(hostile, d.select("section#one td").first().text());
    assertEquals(List.of("one", "two"), d.select("section[id]").eachAttr("id"));
    assertEquals(List.of("#one", "#two"), d.select("nav a").eachAttr("href"));
    String src = d.select("img").attr("src");
    assertEquals(
        "data:image/png;base64," + Base64.getEncoder().encodeToString(png), src, "inlined");
    assertEquals(
        HtmlReport.CSP, d.select("meta[http-equiv=Content-Security-Policy]").attr("content"));
    assertTrue(HtmlReport.CSP.startsWith("default-src 'none'"));
    assertEquals(HtmlReport.GENERATOR, d.select("meta[name=generator]").attr("content"));
    // numbers right, text left
    assertTrue(d.select("section#one td").get(0).hasClass("text"));
    assertFalse(d.select("section#one td").get(1).hasClass("text"));
  }

  @Test
  void aMissingFigureIsAnErrorNamingTheFile(@TempDir Path dir) {
    CxrException e = assertThrows(CxrException.class, () -> HtmlReport.render(doc("x"), dir));
    assertTrue(e.getMessage().contains("a.png"), e.getMessage());
  }

  @Test
  void markdownEscapesTableCellsAndLinksFiguresBesideIt() {
    String md = MarkdownReport.render(doc("a|b *c*"));
    assertTrue(md.contains("| a\\|b \\*c\\* | 0.5000 |"), md);
    assertTrue(md.contains("![caption a|b \\*c\\*](a.png)"), md);
    assertTrue(md.contains("## Section two"), md);
    assertTrue(md.contains("```\nkey: a|b *c*\n```"), md);
  }
}
