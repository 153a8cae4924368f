package io.cxr.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.Reporter;
import io.cxr.core.config.ConfigLoader;
import io.cxr.core.io.Json;
import io.cxr.core.model.ModelBundle;
import io.cxr.core.model.Prediction;
import io.cxr.core.stage.PredictStage;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code cxr serve}'s server on a real trained model and real JPEGs: MLflow's three JSON input
 * forms, raw and multipart bodies give the numbers {@code cxr predict} gives for the same files;
 * bad input is a 400 naming it, a corrupt image an error entry among the others' predictions, an
 * oversized body 413, a full queue 503 with Retry-After; /ping, /version, /metrics; the token.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServeTest {
  final HttpClient http = HttpClient.newHttpClient();
  ModelBundle model;
  List<Path> files;
  List<Prediction> expected;
  ScoringServer server;
  String base;

  @BeforeAll
  void start() throws Exception {
    model = ModelBundle.load(TrainedWorkspace.model());
    try (Stream<Path> n = Files.list(TrainedWorkspace.source().resolve("NORMAL"));
        Stream<Path> p = Files.list(TrainedWorkspace.source().resolve("PNEUMONIA"))) {
      files = new ArrayList<>(n.sorted().limit(3).toList());
      files.addAll(p.sorted().limit(3).toList());
    }
    expected =
        PredictStage.run(
            ConfigLoader.load(null, List.of()),
            model,
            "model.zip",
            files,
            false,
            false,
            Reporter.SILENT);
    server = serve(64 << 20, 64, null);
    base = "http://127.0.0.1:" + server.port();
  }

  private ScoringServer serve(long maxBody, int queue, String token) {
    return new ScoringServer(
            ServeCommand.served(null, TrainedWorkspace.model(), model),
            new ScoringServer.Options(
                "127.0.0.1",
                0,
                64,
                Duration.ofMillis(5),
                queue,
                maxBody,
                Duration.ofSeconds(60),
                token))
        .start();
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private HttpResponse<String> post(String url, String type, byte[] body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", type)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String url, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private String b64(Path f) throws Exception {
    return Base64.getEncoder().encodeToString(Files.readAllBytes(f));
  }

  /** The answer's predictions checked against {@code cxr predict}'s, bit for bit. */
  private void samePredictions(HttpResponse<String> r, List<Integer> which) throws Exception {
    assertEquals(200, r.statusCode(), r.body());
    JsonNode p = Json.JSON.readTree(r.body()).path("predictions");
    assertEquals(which.size(), p.size(), r.body());
    for (int k = 0; k < which.size(); k++) {
      Prediction e = expected.get(which.get(k));
      assertEquals(e.label(), p.get(k).path("label").asText(), r.body());
      assertEquals(e.probability(), p.get(k).path("probability").asDouble(), 0.0, r.body());
      assertEquals(model.card().threshold(), p.get(k).path("threshold").asDouble(), 0.0);
    }
  }

  @Test
  void theThreeJsonFormsGivePredictsNumbersBitForBit() throws Exception {
    List<Integer> all = List.of(0, 1, 2, 3, 4, 5);
    StringBuilder inputs = new StringBuilder("{\"inputs\": [");
    StringBuilder instances = new StringBuilder("{\"instances\": [");
    StringBuilder frame =
        new StringBuilder("{\"dataframe_split\": {\"columns\": [\"image\"], \"data\": [");
    for (int i = 0; i < files.size(); i++) {
      String sep = i == 0 ? "" : ", ";
      inputs.append(sep).append('"').append(b64(files.get(i))).append('"');
      instances.append(sep).append("{\"b64\": \"").append(b64(files.get(i))).append("\"}");
      frame.append(sep).append("[\"").append(b64(files.get(i))).append("\"]");
    }
    for (String body : List.of(inputs + "]}", instances + "]}", frame + "]}}")) {
      samePredictions(
          post(base + "/invocations", "application/json", body.getBytes(StandardCharsets.UTF_8)),
          all);
    }
  }

  @Test
  void rawAndMultipartBodies() throws Exception {
    samePredictions(
        post(base + "/invocations", "image/jpeg", Files.readAllBytes(files.get(4))), List.of(4));
    String boundary = "cxr-boundary-42";
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (int i : new int[] {1, 5}) {
      body.write(
          ("--"
                  + boundary
                  + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
                  + files.get(i).getFileName()
                  + "\"\r\nContent-Type: image/jpeg\r\n\r\n")
              .getBytes(StandardCharsets.UTF_8));
      body.write(Files.readAllBytes(files.get(i)));
      body.write("\r\n".getBytes(StandardCharsets.UTF_8));
    }
    body.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    samePredictions(
        post(
            base + "/invocations", "multipart/form-data; boundary=" + boundary, body.toByteArray()),
        List.of(1, 5));
  }

  @Test
  void aCorruptImageGetsAnErrorEntryAndTheOthersTheirPredictions() throws Exception {
    String half =
        Base64.getEncoder()
            .encodeToString(java.util.Arrays.copyOf(Files.readAllBytes(files.get(2)), 3000));
    String body =
        "{\"inputs\": [\""
            + b64(files.get(0))
            + "\", \""
            + half
            + "\", \""
            + b64(files.get(3))
            + "\"]}";
    HttpResponse<String> r =
        post(base + "/invocations", "application/json", body.getBytes(StandardCharsets.UTF_8));
    assertEquals(200, r.statusCode(), r.body());
    JsonNode p = Json.JSON.readTree(r.body()).path("predictions");
    assertEquals(expected.get(0).probability(), p.get(0).path("probability").asDouble(), 0.0);
    assertTrue(p.get(1).path("error").asText().startsWith("image inputs[1]: "), r.body());
    assertFalse(p.get(1).has("probability"));
    assertEquals(expected.get(3).probability(), p.get(2).path("probability").asDouble(), 0.0);
  }

  @Test
  void explainAddsTheOverlayCxrPredictDrawsAndAnUnknownMethodIs400(
      @org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
    List<Path> drawn =
        PredictStage.explain(
            model, expected.subList(0, 2), tmp.resolve("maps"), "grad-cam", Reporter.SILENT);
    String body = "{\"inputs\": [\"" + b64(files.get(0)) + "\", \"" + b64(files.get(1)) + "\"]}";
    HttpResponse<String> r =
        post(
            base + "/invocations?explain=grad-cam",
            "application/json",
            body.getBytes(StandardCharsets.UTF_8));
    samePredictions(r, List.of(0, 1));
    JsonNode p = Json.JSON.readTree(r.body()).path("predictions");
    for (int k = 0; k < 2; k++) {
      assertEquals("grad-cam", p.get(k).path("explanation_method").asText());
      assertArrayEquals(
          Files.readAllBytes(drawn.get(k)),
          Base64.getDecoder().decode(p.get(k).path("explanation").asText()),
          "the overlay cxr predict --explain writes for " + files.get(k));
    }
    HttpResponse<String> bad =
        post(
            base + "/invocations?explain=shap",
            "application/json",
            body.getBytes(StandardCharsets.UTF_8));
    assertEquals(400, bad.statusCode(), bad.body());
    assertTrue(bad.body().contains("expected grad-cam or occlusion"), bad.body());
    HttpResponse<String> plain =
        post(base + "/invocations", "application/json", body.getBytes(StandardCharsets.UTF_8));
    assertFalse(plain.body().contains("explanation"), "only when asked for");
  }

  @Test
  void aDecompressionBombIsRefusedFromItsHeaderAsAnErrorEntry() throws Exception {
    java.awt.image.BufferedImage small =
        new java.awt.image.BufferedImage(300, 200, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    javax.imageio.ImageIO.write(small, "png", png);
    byte[] bomb = png.toByteArray();
    // the same file claiming 32000x32000: a GB of grey levels if it were decoded
    java.nio.ByteBuffer.wrap(bomb, 16, 8).putInt(32000).putInt(32000);
    String body =
        "{\"inputs\": [\""
            + Base64.getEncoder().encodeToString(bomb)
            + "\", \""
            + b64(files.get(3))
            + "\"]}";
    HttpResponse<String> r =
        post(base + "/invocations", "application/json", body.getBytes(StandardCharsets.UTF_8));
    assertEquals(200, r.statusCode(), r.body());
    JsonNode p = Json.JSON.readTree(r.body()).path("predictions");
    assertTrue(
        p.get(0).path("error").asText().contains("32000x32000 pixels (expected at most 64"),
        r.body());
    assertEquals(expected.get(3).probability(), p.get(1).path("probability").asDouble(), 0.0);
  }

  @Test
  void badRequestsAre400NamingTheProblem() throws Exception {
    String[][] cases = {
      {"application/json", "{\"inputs\": [", "malformed JSON"},
      {"application/json", "{\"inputs\": [], \"instances\": []}", "got inputs, instances"},
      {"application/json", "{\"rows\": []}", "got none"},
      {"application/json", "{\"inputs\": [\"%%%\"]}", "inputs[0]: not base64"},
      {"application/json", "{\"inputs\": [42]}", "inputs[0]: expected a base64 string"},
      {"text/csv", "a,b", "content type 'text/csv' is not supported"},
    };
    for (String[] c : cases) {
      HttpResponse<String> r =
          post(base + "/invocations", c[0], c[1].getBytes(StandardCharsets.UTF_8));
      assertEquals(400, r.statusCode(), c[1] + " -> " + r.body());
      JsonNode e = Json.JSON.readTree(r.body());
      assertEquals("BAD_REQUEST", e.path("error_code").asText(), r.body());
      assertTrue(e.path("message").asText().contains(c[2]), c[1] + " -> " + r.body());
    }
  }

  @Test
  void aBodyOverTheLimitIs413() throws Exception {
    try (ScoringServer small = serve(64 << 10, 64, null)) {
      HttpResponse<String> r =
          post(
              "http://127.0.0.1:" + small.port() + "/invocations",
              "image/jpeg",
              new byte[200 << 10]);
      assertEquals(413, r.statusCode(), r.body());
      assertEquals(
          "REQUEST_LIMIT_EXCEEDED", Json.JSON.readTree(r.body()).path("error_code").asText());
    }
  }

  @Test
  void aFullQueueIs503WithRetryAfterAndNothingElseFails() throws Exception {
    try (ScoringServer busy = serve(64 << 20, 1, null)) {
      StringBuilder many = new StringBuilder("{\"inputs\": [");
      String one = b64(files.get(0));
      for (int i = 0; i < 60; i++) {
        many.append(i == 0 ? "\"" : ", \"").append(one).append('"');
      }
      byte[] body = many.append("]}").toString().getBytes(StandardCharsets.UTF_8);
      List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
      for (int i = 0; i < 24; i++) {
        all.add(
            http.sendAsync(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + busy.port() + "/invocations"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString()));
      }
      int refused = 0;
      for (var f : all) {
        HttpResponse<String> r = f.get();
        if (r.statusCode() == 503) {
          refused++;
          assertEquals("1", r.headers().firstValue("Retry-After").orElse(""), r.body());
        } else {
          assertEquals(200, r.statusCode(), r.body());
          assertEquals(60, Json.JSON.readTree(r.body()).path("predictions").size());
        }
      }
      assertTrue(refused > 0 && refused < all.size(), refused + " of 24 refused");
    }
  }

  @Test
  void pingVersionAndMetrics() throws Exception {
    assertEquals(200, get(base + "/ping", null).statusCode());
    assertEquals(200, get(base + "/health", null).statusCode());
    JsonNode v = Json.JSON.readTree(get(base + "/version", null).body());
    assertEquals(model.card().modelType().key(), v.path("model_type").asText());
    assertEquals(model.card().imageSize(), v.path("image_size").asInt());
    assertTrue(v.path("cxr_version").asText().length() > 0, v.toString());
    post(base + "/invocations", "image/jpeg", Files.readAllBytes(files.get(0)));
    String m = get(base + "/metrics", null).body();
    assertTrue(m.contains("cxr_requests_total{outcome=\"ok\"}"), m);
    assertTrue(m.contains("cxr_batch_images_count"), m);
    assertTrue(m.contains("cxr_request_latency_seconds_bucket"), m);
    assertTrue(m.contains("cxr_model_version 0.0"), m);
  }

  @Test
  void aTokenGuardsEverythingButPingAndHealth() throws Exception {
    try (ScoringServer guarded = serve(64 << 20, 64, "s3cret-token")) {
      String at = "http://127.0.0.1:" + guarded.port();
      assertEquals(401, get(at + "/version", null).statusCode());
      assertEquals(401, get(at + "/version", "wrong").statusCode());
      assertEquals(200, get(at + "/version", "s3cret-token").statusCode());
      assertEquals(200, get(at + "/ping", null).statusCode());
      assertFalse(get(at + "/version", "wrong").body().contains("s3cret"), "never echoed");
    }
  }
}
