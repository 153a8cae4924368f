package io.cxr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.io.Json;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cxr's runs as a person sees them in MLflow's own UI (the pinned MLflow server from the project
 * venv on the local store cxr wrote, rendered by headless Chromium): the training run lists its
 * datasets (the prepared splits, by context) and its model; the experiment's table shows both in
 * its Dataset and Models columns; the registered version's page shows its source run, its alias and
 * the signature of what {@code cxr serve} takes and answers.
 */
class MlflowUiTest {
  @TempDir Path tmp;

  @Test
  void theStockUiShowsTheRunsModelAndDatasets() throws Exception {
    Path work = tmp.resolve("ws");
    String[] iso = TrainedWorkspace.copy(work);
    Cli reg = Cli.run(Cli.concat(new String[] {"register"}, iso));
    assertEquals(0, reg.code(), reg.toString());
    JsonNode run = Json.JSON.readTree(work.resolve("models/run.json").toFile());
    String exp = run.path("experiment_id").asText();
    String id = run.path("run_id").asText();

    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path mlflow = CxrJarIT.python().getParent().resolve("mlflow");
    Process server =
        new ProcessBuilder(
                mlflow.toString(),
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                String.valueOf(port),
                "--backend-store-uri",
                work.resolve("mlruns").toString(),
                "--workers",
                "1")
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("mlflow.log").toFile())
            .start();
    String base = "http://127.0.0.1:" + port;
    try (HeadlessChromium chrome = HeadlessChromium.start(tmp.resolve("chromium-profile"))) {
      waitForHealth(base);
      chrome.call("Page.enable", Map.of());
      // the run's page: its three datasets (one named, "+2"), its logged and registered model
      // the digest: the manifest's hash as train recorded it (the copy's manifest names new paths)
      String digest =
          Files.readString(
                  work.resolve("mlruns")
                      .resolve(exp)
                      .resolve(id)
                      .resolve("tags/data_manifest_sha256"))
              .substring(0, 16);
      shows(
          chrome,
          base + "/#/experiments/" + exp + "/runs/" + id,
          List.of(
              "Datasets used",
              "source/(train|val|test) \\(" + digest + "\\)",
              "\\+2",
              "Logged models\ncxr",
              "Registered models\ncxr-pneumonia\nv1"));
      // the experiment's runs table: Dataset and Models columns filled
      shows(
          chrome,
          base + "/#/experiments/" + exp,
          List.of(
              "\nDataset\n",
              "\nModels\n",
              "source/train \\(" + digest + "\\)\nTraining",
              "source/val \\(" + digest + "\\)\nValidation",
              "source/test \\(" + digest + "\\)\nTest",
              "cxr-pneumonia\\s*\nv1"));
      // the registered version: its source run, its alias, and the signature read from MLmodel
      // (one input, the image; two outputs, label and probability)
      shows(
          chrome,
          base + "/#/models/cxr-pneumonia/versions/1",
          List.of("Source Run\\s*:\\s*train-", "@.?champion", "Inputs \\(1\\)", "Outputs \\(2\\)"));
    } finally {
      // mlflow server runs its app in gunicorn workers: end them with it
      server.descendants().forEach(ProcessHandle::destroy);
      server.destroy();
      server.waitFor();
    }
  }

  private static boolean found(String pattern, String text) {
    return java.util.regex.Pattern.compile(pattern).matcher(text).find();
  }

  private static void waitForHealth(String base) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    for (int i = 0; i < 240; i++) {
      try {
        if (http.send(
                    HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode()
            == 200) {
          return;
        }
      } catch (java.io.IOException e) {
        // not up yet
      }
      Thread.sleep(500);
    }
    fail("mlflow server did not answer /health within 2 minutes");
  }

  /**
   * Opens {@code url} and waits until the rendered page's text matches every pattern of {@code
   * want} (regular expressions, found anywhere).
   */
  private static void shows(HeadlessChromium chrome, String url, List<String> want)
      throws Exception {
    chrome.call("Page.navigate", Map.of("url", url));
    String text = "";
    for (int i = 0; i < 120; i++) {
      Thread.sleep(500);
      text =
          chrome
              .call(
                  "Runtime.evaluate",
                  Map.of("returnByValue", true, "expression", "document.body.innerText"))
              .path("result")
              .path("value")
              .asText();
      String page = text;
      if (want.stream().allMatch(w -> found(w, page))) {
        return;
      }
    }
    String page = text;
    fail(
        url
            + ": missing "
            + want.stream().filter(w -> !found(w, page)).toList()
            + " in the rendered page:\n"
            + text);
  }
}
