package io.cxr.core.tracking;

import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.TestData;
import io.cxr.core.io.Json;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real, pinned MLflow server (from .venv) on 127.0.0.1 with a SQLite backend and artifact
 * serving in a folder; plus a REST client of its own, independent of the code under test.
 */
final class MlflowServer implements AutoCloseable {
  private final Path dir;
  private final int port;
  private Process process;
  private final HttpClient http = HttpClient.newHttpClient();

  /** Admin credentials when the server runs MLflow's basic-auth app, else null. */
  private final String[] admin;

  MlflowServer(Path dir) throws IOException {
    this(dir, null, null);
  }

  /**
   * With {@code adminUser} set, the server runs MLflow's own basic-auth app ({@code --app-name
   * basic-auth}): every request needs HTTP basic credentials; the admin is created from its config.
   */
  MlflowServer(Path dir, String adminUser, String adminPassword) throws IOException {
    this.dir = dir;
    this.admin = adminUser == null ? null : new String[] {adminUser, adminPassword};
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      this.port = s.getLocalPort();
    }
    start();
  }

  private HttpRequest.Builder authorized(HttpRequest.Builder b) {
    if (admin != null) {
      b.header(
          "Authorization",
          "Basic "
              + java.util.Base64.getEncoder()
                  .encodeToString(
                      (admin[0] + ":" + admin[1])
                          .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
    return b;
  }

  String uri() {
    return "http://127.0.0.1:" + port;
  }

  void start() throws IOException {
    Path mlflow = TestData.venvBin("mlflow");
    Files.createDirectories(dir.resolve("artifacts"));
    ProcessBuilder pb =
        new ProcessBuilder(
                mlflow.toString(),
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                Integer.toString(port),
                "--backend-store-uri",
                "sqlite:///" + dir.resolve("mlflow.db"),
                "--artifacts-destination",
                dir.resolve("artifacts").toString(),
                "--serve-artifacts",
                "--workers",
                "1")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.log").toFile()));
    if (admin != null) {
      Path ini = dir.resolve("basic_auth.ini");
      Files.writeString(
          ini,
          "[mlflow]\n"
              + "default_permission = READ\n"
              + "database_uri = sqlite:///"
              + dir.resolve("basic_auth.db")
              + "\n"
              + "admin_username = "
              + admin[0]
              + "\nadmin_password = "
              + admin[1]
              + "\nauthorization_function = mlflow.server.auth:authenticate_request_basic_auth\n");
      pb.command().addAll(List.of("--app-name", "basic-auth"));
      pb.environment().put("MLFLOW_AUTH_CONFIG_PATH", ini.toString());
      // the auth app's CSRF protection needs a fixed key (a test value, loopback only)
      pb.environment().put("MLFLOW_FLASK_SERVER_SECRET_KEY", "cxr-test-only-" + port);
    }
    pb.environment().put("MLFLOW_DISABLE_TELEMETRY", "true");
    pb.environment().put("DO_NOT_TRACK", "1");
    process = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "mlflow server exited: " + Files.readString(dir.resolve("server.log")));
      }
      try {
        HttpResponse<String> r =
            http.send(
                authorized(HttpRequest.newBuilder(URI.create(uri() + "/health")))
                    .timeout(Duration.ofSeconds(2))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not up yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      sleep(300);
    }
    throw new IllegalStateException("mlflow server did not start in 180 s");
  }

  /** Kills the server and its workers at once, as a crash would. */
  void kill() {
    if (process == null) {
      return;
    }
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
  }

  JsonNode get(String apiPath) throws Exception {
    HttpResponse<String> r =
        http.send(
            authorized(HttpRequest.newBuilder(URI.create(uri() + "/api/2.0/mlflow/" + apiPath)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new AssertionError("GET " + apiPath + " -> " + r.statusCode() + " " + r.body());
    }
    return Json.JSON.readTree(r.body());
  }

  JsonNode post(String apiPath, String json) throws Exception {
    HttpResponse<String> r =
        http.send(
            authorized(HttpRequest.newBuilder(URI.create(uri() + "/api/2.0/mlflow/" + apiPath)))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new AssertionError("POST " + apiPath + " -> " + r.statusCode() + " " + r.body());
    }
    return Json.JSON.readTree(r.body());
  }

  byte[] artifact(String artifactUri, String rel) throws Exception {
    String base = artifactUri.replaceFirst("^mlflow-artifacts:/+", "");
    HttpResponse<byte[]> r =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(uri() + "/api/2.0/mlflow-artifacts/artifacts/" + base + "/" + rel))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) {
      throw new AssertionError("artifact " + rel + " -> " + r.statusCode());
    }
    return r.body();
  }

  /**
   * What MLflow's UI fetches on a model version's page: a file of the version's model folder
   * ({@code /model-versions/get-artifact}), as status and body.
   */
  HttpResponse<String> versionArtifact(String name, String version, String path) throws Exception {
    return http.send(
        authorized(
                HttpRequest.newBuilder(
                    URI.create(
                        uri()
                            + "/model-versions/get-artifact?name="
                            + enc(name)
                            + "&version="
                            + version
                            + "&path="
                            + enc(path))))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Every run of an experiment (by name) on this server, as the REST API lists them. */
  JsonNode runsOf(String experiment) throws Exception {
    String id =
        get("experiments/get-by-name?experiment_name=" + enc(experiment))
            .path("experiment")
            .path("experiment_id")
            .asText();
    return post("runs/search", "{\"experiment_ids\": [\"" + id + "\"]}").path("runs");
  }

  /** A REST list of {key, value} objects (params, tags) as a map. */
  static java.util.Map<String, String> kv(JsonNode list) {
    java.util.Map<String, String> m = new java.util.HashMap<>();
    list.forEach(e -> m.put(e.path("key").asText(), e.path("value").asText()));
    return m;
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    kill();
  }
}
