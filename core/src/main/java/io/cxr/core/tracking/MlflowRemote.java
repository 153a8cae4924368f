package io.cxr.core.tracking;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.CxrException;
import io.cxr.core.config.UriCredentials;
import io.cxr.core.io.Json;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
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
import java.util.Map;
import java.util.Optional;
import org.mlflow.api.proto.Service;
import org.mlflow.tracking.MlflowClient;
import org.mlflow.tracking.MlflowHttpException;
import org.mlflow.tracking.creds.BasicMlflowHostCreds;

/**
 * An MLflow tracking server: runs through the Java {@code mlflow-client}, artifacts over HTTP to
 * the server's artifact service ({@code /api/2.0/mlflow-artifacts/artifacts/...}) so the host needs
 * no Python. Credentials come from the environment ({@code MLFLOW_TRACKING_TOKEN}, or {@code
 * MLFLOW_TRACKING_USERNAME}/{@code MLFLOW_TRACKING_PASSWORD}, or user info in the URI) and appear
 * in no message.
 */
public final class MlflowRemote implements AutoCloseable {
  private final String host;
  private final String display;
  private final MlflowClient client;
  private final HttpClient http;
  private final String authorization;

  private final Duration timeout;

  private MlflowRemote(
      String host, String display, MlflowClient client, String authorization, Duration timeout) {
    this.host = host;
    this.display = display;
    this.client = client;
    this.authorization = authorization;
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  /** Parses and checks the URI; does not contact the server. */
  public static MlflowRemote of(String uri, Map<String, String> env) {
    URI u = parse(uri);
    String user = env.get("MLFLOW_TRACKING_USERNAME");
    String pass = env.get("MLFLOW_TRACKING_PASSWORD");
    String token = env.get("MLFLOW_TRACKING_TOKEN");
    // user info in the URI: given here, or taken out of tracking.uri when the config was loaded
    String info =
        u.getUserInfo() != null ? u.getRawUserInfo() : UriCredentials.userInfo(uri).orElse(null);
    if (info != null && user == null) {
      String[] up = info.split(":", 2);
      user = decode(up[0]);
      pass = up.length > 1 ? decode(up[1]) : "";
    }
    String host =
        u.getScheme()
            + "://"
            + u.getHost()
            + (u.getPort() > 0 ? ":" + u.getPort() : "")
            + (u.getPath() == null ? "" : u.getPath().replaceAll("/+$", ""));
    String auth = null;
    if (token != null && !token.isBlank()) {
      auth = "Bearer " + token;
    } else if (user != null) {
      auth =
          "Basic "
              + Base64.getEncoder()
                  .encodeToString(
                      (user + ":" + (pass == null ? "" : pass)).getBytes(StandardCharsets.UTF_8));
    }
    boolean insecure = "true".equalsIgnoreCase(env.get("MLFLOW_TRACKING_INSECURE_TLS"));
    MlflowClient client =
        new MlflowClient(
            new BasicMlflowHostCreds(
                host, user, pass, token == null || token.isBlank() ? null : token, insecure));
    return new MlflowRemote(host, host, client, auth, timeout(env));
  }

  /** The seconds a call to the server may take: MLflow's {@code MLFLOW_HTTP_REQUEST_TIMEOUT}. */
  static final String TIMEOUT_VARIABLE = "MLFLOW_HTTP_REQUEST_TIMEOUT";

  /** Without {@value #TIMEOUT_VARIABLE}: long enough for a slow server, short for a dead one. */
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  static Duration timeout(Map<String, String> env) {
    String v = env.get(TIMEOUT_VARIABLE);
    if (v == null || v.isBlank()) {
      return DEFAULT_TIMEOUT;
    }
    try {
      double s = Double.parseDouble(v.trim());
      if (s > 0 && s <= 86_400) {
        return Duration.ofMillis((long) (s * 1000));
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new CxrException(
        TIMEOUT_VARIABLE + "='" + v + "': expected seconds in (0, 86400] for calls to MLflow");
  }

  /** A thread per stuck call at most: a call past its timeout is abandoned, not waited for. */
  private static final java.util.concurrent.ExecutorService CALLS =
      java.util.concurrent.Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "cxr-mlflow-call");
            t.setDaemon(true);
            return t;
          });

  /**
   * Runs a call to the server within the timeout ({@value #TIMEOUT_VARIABLE}, default 30 s): the
   * Java client itself has no read timeout, so a server that accepts and never answers would hold
   * cxr forever. Past the timeout the call is abandoned with a CxrException saying so.
   */
  public <T> T bounded(java.util.concurrent.Callable<T> call) {
    java.util.concurrent.Future<T> f = CALLS.submit(call);
    try {
      return f.get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      f.cancel(true);
      throw new CxrException(
          "tracking server "
              + display
              + ": no answer within "
              + timeout.toSeconds()
              + " s ("
              + TIMEOUT_VARIABLE
              + ")");
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException re) {
        throw re;
      }
      throw new CxrException("tracking server " + display + ": " + firstLine(c.getMessage()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      f.cancel(true);
      throw new CxrException("tracking server " + display + ": interrupted");
    }
  }

  /** The URI without credentials. */
  public String display() {
    return display;
  }

  static URI parse(String uri) {
    URI u = null;
    try {
      u = new URI(uri.trim());
    } catch (URISyntaxException e) {
      // reported below with the other malformed forms
    }
    if (u == null
        || !("http".equals(u.getScheme()) || "https".equals(u.getScheme()))
        || u.getHost() == null
        || u.getHost().isEmpty()) {
      throw new CxrException(
          "tracking URI '"
              + redact(uri)
              + "': malformed (expected http(s)://host:port, or empty for the local ./mlruns"
              + " store)");
    }
    return u;
  }

  /** A URI string with any user:password removed. */
  public static String redact(String uri) {
    return UriCredentials.redact(uri);
  }

  /** Checks the server answers; throws CxrException with the reason otherwise. */
  public void ping() {
    HttpResponse<String> r =
        send(
            request(URI.create(host + "/health")).timeout(Duration.ofSeconds(5)).GET(),
            HttpResponse.BodyHandlers.ofString(),
            "is unreachable");
    if (r.statusCode() != 200) {
      throw new CxrException(
          "tracking server " + display + ": /health answered HTTP " + r.statusCode());
    }
    try {
      bounded(client::searchExperiments); // proves the API and the credentials
    } catch (CxrException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new CxrException("tracking server " + display + ": " + firstLine(e.getMessage()));
    }
  }

  public MlflowClient client() {
    return client;
  }

  public String experimentId(String name) {
    // a search, not get-by-name: the Java client retries a 404 as if it were a rate limit
    String filter = "name = '" + name.replace("'", "\\'") + "'";
    List<Service.Experiment> found = client.searchExperiments(filter).getItems();
    if (!found.isEmpty()) {
      return found.get(0).getExperimentId();
    }
    try {
      return client.createExperiment(name);
    } catch (RuntimeException e) {
      // another process created it between the search and the create: take theirs
      List<Service.Experiment> again = client.searchExperiments(filter).getItems();
      if (again.isEmpty()) {
        throw e;
      }
      return again.get(0).getExperimentId();
    }
  }

  public Service.RunInfo createRun(
      String experimentId, String runName, long startTime, Map<String, String> tags) {
    Service.CreateRun.Builder b =
        Service.CreateRun.newBuilder()
            .setExperimentId(experimentId)
            .setRunName(runName)
            .setStartTime(startTime);
    tags.forEach((k, v) -> b.addTags(Service.RunTag.newBuilder().setKey(k).setValue(v)));
    return client.createRun(b.build());
  }

  /** The remote run created from the given local run, if any. */
  public Optional<Service.RunInfo> findByLocalId(String experimentId, String localRunId) {
    List<Service.RunInfo> found =
        client.searchRuns(
            List.of(experimentId),
            "tags.`cxr.local_run_id` = '" + localRunId + "'",
            Service.ViewType.ALL);
    return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
  }

  /**
   * The runs of an experiment that match an MLflow search filter, every page, newest first, as the
   * REST API's JSON ({@code info}, {@code data.tags}, ...); deleted runs are left out.
   */
  public List<JsonNode> searchRuns(String experimentId, String filter) {
    List<JsonNode> out = new ArrayList<>();
    String token = null;
    do {
      Map<String, Object> body = new java.util.LinkedHashMap<>();
      body.put("experiment_ids", List.of(experimentId));
      body.put("filter", filter);
      body.put("run_view_type", "ACTIVE_ONLY");
      body.put("max_results", 1000);
      body.put("order_by", List.of("attributes.start_time DESC"));
      if (token != null) {
        body.put("page_token", token);
      }
      JsonNode page = post("runs/search", body);
      page.path("runs").forEach(out::add);
      token = page.path("next_page_token").asText("");
    } while (!token.isEmpty());
    return out;
  }

  /** A run's tags from the REST API's JSON of it ({@code data.tags}), by key. */
  public static Map<String, String> tagsOf(JsonNode run) {
    Map<String, String> tags = new java.util.LinkedHashMap<>();
    run.path("data")
        .path("tags")
        .forEach(t -> tags.put(t.path("key").asText(), t.path("value").asText()));
    return tags;
  }

  public void logBatch(
      String runId,
      List<Service.Metric> metrics,
      List<Service.Param> params,
      List<Service.RunTag> tags) {
    // the REST limits: 1000 metrics, 100 params, 100 tags per batch
    for (int i = 0; i < metrics.size(); i += 1000) {
      client.logBatch(
          runId, metrics.subList(i, Math.min(i + 1000, metrics.size())), List.of(), List.of());
    }
    for (int i = 0; i < params.size(); i += 100) {
      client.logBatch(
          runId, List.of(), params.subList(i, Math.min(i + 100, params.size())), List.of());
    }
    for (int i = 0; i < tags.size(); i += 100) {
      client.logBatch(runId, List.of(), List.of(), tags.subList(i, Math.min(i + 100, tags.size())));
    }
  }

  /** Uploads one file to the run's artifact location over HTTP. */
  public void uploadArtifact(String artifactUri, Path file, String dir) {
    String rel = (dir == null || dir.isEmpty() ? "" : dir + "/") + file.getFileName();
    HttpRequest.BodyPublisher body;
    try {
      body = HttpRequest.BodyPublishers.ofFile(file);
    } catch (FileNotFoundException e) {
      throw new CxrException("artifact " + file + ": not found");
    }
    HttpResponse<String> r =
        send(
            request(artifactUrl(artifactUri, rel)).timeout(Duration.ofMinutes(10)).PUT(body),
            HttpResponse.BodyHandlers.ofString(),
            "did not take artifact " + rel);
    if (r.statusCode() / 100 != 2) {
      throw new CxrException(
          "tracking server "
              + display
              + ": artifact upload of "
              + rel
              + " answered HTTP "
              + r.statusCode());
    }
  }

  /**
   * The sizes of the files the server holds in a run's artifact folder {@code dir} (relative to the
   * run's artifact root; "" for the root), by name; empty when the folder does not exist.
   */
  public Map<String, Long> artifactSizes(String artifactUri, String dir) {
    String path = artifactPath(artifactUri) + (dir.isEmpty() ? "" : "/" + dir);
    URI uri =
        URI.create(
            host
                + "/api/2.0/mlflow-artifacts/artifacts?path="
                + URLEncoder.encode(path, StandardCharsets.UTF_8));
    JsonNode files = api(request(uri).GET(), "artifacts?path=" + path).path("files");
    Map<String, Long> sizes = new java.util.HashMap<>();
    for (JsonNode f : files) {
      if (!f.path("is_dir").asBoolean(false)) {
        sizes.put(f.path("path").asText(), f.path("file_size").asLong(-1));
      }
    }
    return sizes;
  }

  /** Downloads one artifact file ({@code rel} below the run's artifact root). */
  public void downloadArtifact(String artifactUri, String rel, Path target) {
    HttpResponse<Path> r =
        send(
            request(artifactUrl(artifactUri, rel)).GET(),
            HttpResponse.BodyHandlers.ofFile(target),
            "did not send artifact " + rel);
    if (r.statusCode() != 200) {
      try {
        Files.deleteIfExists(target);
      } catch (IOException ignored) {
        // the error below is what matters
      }
      throw new CxrException(
          "tracking server " + display + ": artifact " + rel + " answered HTTP " + r.statusCode());
    }
  }

  private URI artifactUrl(String artifactUri, String rel) {
    return URI.create(
        host
            + "/api/2.0/mlflow-artifacts/artifacts/"
            + encodePath(artifactPath(artifactUri) + "/" + rel));
  }

  /** One HTTP exchange; I/O failures become a one-line error saying what the server did not do. */
  private <T> HttpResponse<T> send(
      HttpRequest.Builder request, HttpResponse.BodyHandler<T> handler, String failed) {
    try {
      return http.send(request.build(), handler);
    } catch (IOException e) {
      throw new CxrException("tracking server " + display + " " + failed + " (" + e + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CxrException("interrupted");
    }
  }

  /**
   * GET on the REST API (path below /api/2.0/mlflow/), as JSON. Sent by cxr itself, not by the Java
   * client: that client retries every 4xx answer three times with back-off and logs each as "Rate
   * limit exceeded", so an expected "not found" cost seconds and three false warnings.
   */
  public JsonNode get(String path) {
    return api(request(URI.create(host + "/api/2.0/mlflow/" + path)).GET(), path);
  }

  /** POST on the REST API (path below /api/2.0/mlflow/), as JSON; see {@link #get}. */
  public JsonNode post(String path, Object body) {
    try {
      return api(
          request(URI.create(host + "/api/2.0/mlflow/" + path))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(Json.JSON.writeValueAsString(body))),
          path);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * One REST call within the timeout; an answer other than 2xx is an {@link MlflowHttpException}
   * carrying the server's error code (callers tell "not found" from failures by it), never retried.
   */
  private JsonNode api(HttpRequest.Builder request, String path) {
    HttpResponse<String> r =
        send(
            request.timeout(timeout),
            HttpResponse.BodyHandlers.ofString(),
            "did not answer " + path);
    if (r.statusCode() / 100 != 2) {
      throw new MlflowHttpException(r.statusCode(), path, firstLine(r.body()));
    }
    return json(r.body());
  }

  private static JsonNode json(String s) {
    try {
      return Json.JSON.readTree(s == null || s.isEmpty() ? "{}" : s);
    } catch (IOException e) {
      throw new CxrException("tracking server answered non-JSON: " + firstLine(s));
    }
  }

  /** {@code mlflow-artifacts:/1/abc/artifacts} -> {@code 1/abc/artifacts}. */
  static String artifactPath(String artifactUri) {
    if (artifactUri == null || !artifactUri.startsWith("mlflow-artifacts:")) {
      throw new CxrException(
          "tracking server artifact location '"
              + artifactUri
              + "' is not served over HTTP (start `mlflow server` with --serve-artifacts)");
    }
    String p = artifactUri.substring("mlflow-artifacts:".length());
    if (p.startsWith("//")) {
      p = p.substring(2);
      p = p.substring(p.indexOf('/') + 1); // drop host:port
    }
    return p.replaceAll("^/+", "");
  }

  private static String encodePath(String p) {
    List<String> parts = new ArrayList<>();
    for (String s : p.split("/")) {
      parts.add(URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20"));
    }
    return String.join("/", parts);
  }

  private HttpRequest.Builder request(URI uri) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri);
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return b;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  public static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).trim();
  }

  @Override
  public void close() {
    client.close();
  }
}
