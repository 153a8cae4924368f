package io.cxr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.io.Json;
import io.cxr.core.stage.ReportStage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cxr report} on the real Kermany folder and a model of the default architecture (2 epochs
 * on a subset, so the test stays short), rendered in headless Chromium.
 */
class ReportCommandTest {
  Path tmp;
  String[] paths;

  @BeforeEach
  void ownCopyOfTheTrainedWorkspace(@TempDir Path dir) throws Exception {
    tmp = dir;
    paths = TrainedWorkspace.copy(tmp);
  }

  private String[] args(String... a) {
    return Stream.concat(Stream.of(a), Stream.of(paths)).toArray(String[]::new);
  }

  private Path externalNpz() {
    return Cli.sharedData().resolve("pneumoniamnist/pneumoniamnist.npz");
  }

  @Test
  void htmlReportRendersInChromiumWithEverySectionAndImageAndNoRequestLeavesTheFile()
      throws Exception {
    Path html = tmp.resolve("reports/report.html");
    Cli r = Cli.run(args("report", "--external", externalNpz().toString()));
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().contains("wrote " + html), r.out());
    String text = Files.readString(html);
    // self-contained: every image is inlined, nothing points outside the file
    assertFalse(Pattern.compile("(src|href)=\"(?!data:|#)").matcher(text).find(), "external ref");
    int inlined = count(text, "src=\"data:image/png;base64,");
    assertTrue(inlined >= 15, "figures inlined: " + inlined);

    try (HeadlessChromium chrome = HeadlessChromium.start(tmp.resolve("chromium-profile"))) {
      chrome.call("Network.enable", Map.of());
      chrome.call("Page.enable", Map.of());
      chrome.call("Page.navigate", Map.of("url", html.toUri().toString()));
      chrome.await("Page.loadEventFired", Duration.ofSeconds(60));
      JsonNode page =
          Json.JSON.readTree(
              chrome
                  .call(
                      "Runtime.evaluate",
                      Map.of(
                          "returnByValue",
                          true,
                          "expression",
                          "JSON.stringify({"
                              + "sections:[...document.querySelectorAll('section[id]')]"
                              + ".map(s=>s.id),"
                              + "headings:[...document.querySelectorAll('section h2')]"
                              + ".map(h=>h.textContent),"
                              + "images:[...document.images].map(i=>({file:i.dataset.file,"
                              + "complete:i.complete,w:i.naturalWidth,h:i.naturalHeight}))})"))
                  .path("result")
                  .path("value")
                  .asText());
      List<String> sections = new ArrayList<>();
      page.path("sections").forEach(s -> sections.add(s.asText()));
      assertEquals(ReportStage.SECTIONS, sections, "sections in the rendered page");
      JsonNode images = page.path("images");
      assertEquals(inlined, images.size(), "images in the page");
      for (JsonNode im : images) {
        assertTrue(
            im.path("complete").asBoolean() && im.path("w").asInt() > 0,
            "image did not load: " + im);
      }
      List<String> files = new ArrayList<>();
      images.forEach(i -> files.add(i.path("file").asText()));
      for (String f :
          List.of(
              "class_balance.png",
              "samples.png",
              "mean_images.png",
              "intensities.png",
              "widths.png",
              "training_curves.png",
              "roc.png",
              "pr.png",
              "reliability.png",
              "errors_0.png")) {
        assertTrue(files.contains(f), f + " missing from " + files);
      }
      // the page asked for nothing but itself and its data URIs
      for (JsonNode e : chrome.events()) {
        if ("Network.requestWillBeSent".equals(e.path("method").asText())) {
          String url = e.path("params").path("request").path("url").asText();
          assertTrue(
              url.startsWith("file:") || url.startsWith("data:"), "request left the file: " + url);
        }
      }
      // a full-page screenshot, kept for people to look at
      JsonNode layout = chrome.call("Page.getLayoutMetrics", Map.of());
      int height = (int) Math.ceil(layout.path("cssContentSize").path("height").asDouble(2000));
      chrome.call(
          "Emulation.setDeviceMetricsOverride",
          Map.of("width", 1280, "height", height, "deviceScaleFactor", 1, "mobile", false));
      String png =
          chrome
              .call(
                  "Page.captureScreenshot", Map.of("format", "png", "captureBeyondViewport", true))
              .path("data")
              .asText();
      byte[] bytes = Base64.getDecoder().decode(png);
      BufferedImage shot = ImageIO.read(new ByteArrayInputStream(bytes));
      assertTrue(shot.getWidth() >= 1000 && shot.getHeight() > 3000, "screenshot size");
      Path keep = Path.of("target", "report-screenshot.png");
      Files.createDirectories(keep.getParent());
      Files.write(keep, bytes);
    }

    // logged to the model's train run
    JsonNode run = Json.JSON.readTree(tmp.resolve("models/run.json").toFile());
    Path artifact =
        tmp.resolve("mlruns")
            .resolve(run.path("experiment_id").asText())
            .resolve(run.path("run_id").asText())
            .resolve("artifacts/report/report.html");
    assertEquals(-1L, Files.mismatch(html, artifact), "the MLflow artifact is the report");
    assertTrue(r.out().contains("logged to MLflow run " + run.path("run_id").asText()), r.out());
  }

  @Test
  void markdownVariantWritesReportMdWhoseImagesAllExist() throws Exception {
    Path dir = tmp.resolve("md");
    Cli r = Cli.run(args("report", "--format", "md", "-o", dir.toString(), "--no-log"));
    assertEquals(0, r.code(), r.toString());
    String md = Files.readString(dir.resolve("report.md"));
    assertTrue(md.contains("## Quality gate: "), md);
    // the shared workspace is prepared with the default data.crop (0.1)
    assertTrue(md.contains("10% of the width and of the height cut off each side"), md);
    Matcher m = Pattern.compile("!\\[[^\\]]*\\]\\(([^)]+)\\)").matcher(md);
    int n = 0;
    while (m.find()) {
      assertTrue(Files.isRegularFile(dir.resolve(m.group(1))), m.group(1) + " missing");
      n++;
    }
    assertTrue(n >= 12, "images referenced: " + n);
    // a second run replaces its own folder
    assertEquals(
        0, Cli.run(args("report", "--format", "md", "-o", dir.toString(), "--no-log")).code());
  }

  @Test
  void refusesToReplaceAFileOrFolderItDidNotWrite() throws Exception {
    Path foreign = Files.writeString(tmp.resolve("notes.html"), "<p>my notes</p>");
    Cli r = Cli.run(args("report", "-o", foreign.toString(), "--no-log"));
    assertEquals(2, r.code(), r.toString());
    assertTrue(r.err().contains("is not a report cxr wrote"), r.err());
    assertEquals("<p>my notes</p>", Files.readString(foreign));

    Path folder = Files.createDirectories(tmp.resolve("mine"));
    Files.writeString(folder.resolve("keep.txt"), "keep");
    Cli md = Cli.run(args("report", "--format", "md", "-o", folder.toString(), "--no-log"));
    assertEquals(2, md.code(), md.toString());
    assertEquals("keep", Files.readString(folder.resolve("keep.txt")));
    try (Stream<Path> s = Files.list(tmp)) {
      assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".mine")), "no temp left");
    }

    Cli bad = Cli.run(args("report", "--format", "pdf", "--no-log"));
    assertEquals(2, bad.code(), bad.toString());
    assertTrue(bad.err().contains("--format: expected html or md, got 'pdf'"), bad.err());
  }

  @Test
  void evaluateOnAnExternalSetAddsExternalMetricsToTheModelsOwnRun() throws Exception {
    JsonNode run = Json.JSON.readTree(tmp.resolve("models/run.json").toFile());
    Path runDir =
        tmp.resolve("mlruns")
            .resolve(run.path("experiment_id").asText())
            .resolve(run.path("run_id").asText());
    String statusBefore = Files.readString(runDir.resolve("meta.yaml"));
    // the model's own source is not external: nothing is added
    Path kermany = TrainedWorkspace.source();
    Cli own = Cli.run(args("evaluate", "--data", kermany.toString(), "--split", "all"));
    assertTrue(own.code() == 0 || own.code() == 1, own.toString());
    assertFalse(Files.exists(runDir.resolve("metrics/external_auc")), "own source is not external");

    Cli ext = Cli.run(args("evaluate", "--data", externalNpz().toString()));
    assertTrue(ext.code() == 0 || ext.code() == 1, ext.toString());
    assertTrue(ext.out().contains("external_* metrics added to the model's run"), ext.out());
    JsonNode eval = Json.JSON.readTree(tmp.resolve("reports/evaluation.json").toFile());
    for (String m : List.of("auc", "accuracy", "specificity", "sensitivity", "ece")) {
      String[] line = Files.readString(runDir.resolve("metrics/external_" + m)).trim().split(" ");
      assertEquals(eval.path("test_" + m).asDouble(), Double.parseDouble(line[1]), 1e-9, m);
    }
    assertTrue(
        Files.readString(runDir.resolve("tags/cxr.external_data")).contains("pneumoniamnist"));
    assertEquals(statusBefore, Files.readString(runDir.resolve("meta.yaml")), "status kept");
  }

  private static int count(String s, String what) {
    int n = 0;
    for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }
}
