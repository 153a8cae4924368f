package io.cxr.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cxr.core.io.Json;
import io.cxr.core.serve.BatchingScorer;
import io.cxr.core.serve.ModelWatcher;
import io.cxr.core.serve.ServedModel;
import io.cxr.core.tracking.Provenance;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.UploadedFile;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code cxr serve}'s HTTP side, on Javalin (a thin, maintained layer over Jetty 12; one jar and
 * Kotlin's standard library, no container, no annotation scanning): MLflow's scoring protocol on
 * {@code POST /invocations}, {@code /ping}, {@code /health}, {@code /version} and Prometheus {@code
 * /metrics} (Micrometer). Images of concurrent requests are scored together by a {@link
 * BatchingScorer}. Input errors are 400 with MLflow's {@code {"error_code", "message"}} body, a
 * body over the limit 413, a full queue 503 with {@code Retry-After}; an image that cannot be
 * decoded gets an error entry among the others' predictions.
 *
 * <p>The model can be replaced while serving ({@link #install}, called by a {@code ModelWatcher}
 * when a registry alias moves): requests queued before finish on the old model. Every answer names
 * the model that produced it in the {@code X-Cxr-Model-Version} header. Until a first model is
 * loaded, {@code /health} and {@code /invocations} answer 503.
 */
final class ScoringServer implements AutoCloseable, ModelWatcher.Target {
  /** What the server is run with. */
  record Options(
      String host,
      int port,
      int maxBatch,
      Duration maxWait,
      int queue,
      long maxBodyBytes,
      Duration timeout,
      String token) {}

  /** The response header naming the version (or file) of the model that scored a request. */
  static final String MODEL_HEADER = "X-Cxr-Model-Version";

  private final BatchingScorer scorer;
  private final Options opts;
  private final PrometheusMeterRegistry metrics =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Timer latency;

  /** Requests received whose images are not queued yet: the batcher waits only for these. */
  private final java.util.concurrent.atomic.AtomicInteger arriving =
      new java.util.concurrent.atomic.AtomicInteger();

  private final Javalin app;

  /**
   * @param model the model to serve, or null to start without one ({@link #install} gives it)
   */
  ScoringServer(ServedModel model, Options opts) {
    this.opts = opts;
    DistributionSummary batches =
        DistributionSummary.builder("cxr_batch_images")
            .description("images scored per forward pass")
            .publishPercentileHistogram()
            .register(metrics);
    this.scorer =
        new BatchingScorer(
            model,
            opts.maxBatch(),
            opts.maxWait(),
            opts.queue(),
            n -> batches.record(n),
            arriving::get);
    this.latency =
        Timer.builder("cxr_request_latency")
            .description("time from a request's arrival to its answer")
            .publishPercentileHistogram()
            .register(metrics);
    Gauge.builder("cxr_queue_requests", scorer::waiting)
        .description("requests waiting to be scored")
        .register(metrics);
    Gauge.builder("cxr_model_version", this::servingVersion)
        .description("registered version of the model being served (0: a file; NaN: none yet)")
        .register(metrics);
    this.app =
        Javalin.create(
            config -> {
              config.startup.showJavalinBanner = false;
              config.http.maxRequestSize = opts.maxBodyBytes();
              config.jetty.host = opts.host();
              config.jetty.port = opts.port();
              config.routes.before(this::authorize);
              config.routes.post("/invocations", this::invocations);
              config.routes.get("/ping", ctx -> ctx.result(""));
              config.routes.get("/health", this::health);
              config.routes.get("/version", this::version);
              config.routes.get(
                  "/metrics",
                  ctx -> ctx.contentType("text/plain; version=0.0.4").result(metrics.scrape()));
              errors(config);
            });
  }

  /** Input errors 400, a full queue or no model 503 with Retry-After, a large body 413. */
  private void errors(io.javalin.config.JavalinConfig config) {
    config.routes.exception(
        BadInput.class, (e, ctx) -> error(ctx, 400, "BAD_REQUEST", e.getMessage()));
    config.routes.exception(
        BatchingScorer.NoModel.class,
        (e, ctx) -> {
          ctx.header("Retry-After", "5");
          error(ctx, 503, "TEMPORARILY_UNAVAILABLE", e.getMessage());
        });
    config.routes.exception(
        BatchingScorer.Overloaded.class,
        (e, ctx) -> {
          ctx.header("Retry-After", "1");
          error(ctx, 503, "TEMPORARILY_UNAVAILABLE", e.getMessage());
        });
    config.routes.exception(
        HttpResponseException.class,
        (e, ctx) ->
            error(
                ctx,
                e.getStatus(),
                e.getStatus() == 413 ? "REQUEST_LIMIT_EXCEEDED" : "BAD_REQUEST",
                e.getStatus() == 413
                    ? "request body over " + opts.maxBodyBytes() + " bytes"
                    : e.getMessage()));
  }

  /** Serves {@code model} from now on; requests already queued finish on the previous one. */
  @Override
  public void install(ServedModel model) {
    scorer.swap(model);
    Counter.builder("cxr_model_swaps")
        .description("models installed while serving, by outcome")
        .tag("outcome", "installed")
        .register(metrics)
        .increment();
  }

  /** A version the registry pointed at could not be loaded (the old model is kept). */
  @Override
  public void failed(String version, String reason) {
    Counter.builder("cxr_model_swaps")
        .description("models installed while serving, by outcome")
        .tag("outcome", "failed")
        .register(metrics)
        .increment();
  }

  private double servingVersion() {
    ServedModel m = scorer.model();
    if (m == null) {
      return Double.NaN;
    }
    try {
      return m.version() == null ? 0 : Double.parseDouble(m.version());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private void health(Context ctx) {
    if (scorer.model() == null) {
      error(ctx, 503, "TEMPORARILY_UNAVAILABLE", "no model loaded yet");
    } else {
      ctx.result("");
    }
  }

  ScoringServer start() {
    app.start();
    return this;
  }

  int port() {
    return app.port();
  }

  /** A request the client got wrong: 400 with a message naming what and why. */
  static final class BadInput extends RuntimeException {
    BadInput(String message) {
      super(message);
    }
  }

  private void authorize(Context ctx) {
    if (opts.token() == null || ctx.path().equals("/ping") || ctx.path().equals("/health")) {
      return;
    }
    if (!("Bearer " + opts.token()).equals(ctx.header("Authorization"))) {
      count("unauthorized");
      throw new HttpResponseException(401, "a bearer token is required (Authorization header)");
    }
  }

  private void invocations(Context ctx) throws Exception {
    long start = System.nanoTime();
    List<BatchingScorer.Image> images;
    arriving.incrementAndGet();
    try {
      images = images(ctx);
    } catch (BadInput e) {
      count("bad_request");
      throw e;
    } finally {
      arriving.decrementAndGet();
    }
    String explain = ctx.queryParam("explain");
    BatchingScorer.Answer answer;
    try {
      answer = scorer.submit(images, explain).get(opts.timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (io.cxr.core.CxrException e) {
      count("bad_request");
      throw new BadInput("explain=" + explain + ": " + e.getMessage());
    } catch (BatchingScorer.Overloaded e) {
      count("overloaded");
      throw e;
    } catch (BatchingScorer.NoModel e) {
      count("no_model");
      throw e;
    } catch (TimeoutException e) {
      count("timeout");
      ctx.header("Retry-After", "1");
      error(ctx, 503, "TEMPORARILY_UNAVAILABLE", "not scored within " + opts.timeout());
      return;
    } catch (ExecutionException e) {
      count("internal");
      error(ctx, 500, "INTERNAL_ERROR", "scoring failed: " + e.getCause());
      return;
    }
    ObjectNode body = Json.JSON.createObjectNode();
    ArrayNode predictions = body.putArray("predictions");
    for (BatchingScorer.Result r : answer.results()) {
      ObjectNode p = predictions.addObject();
      if (r.failed()) {
        p.put("error", r.error());
        count("image_error");
      } else {
        p.put("label", r.label());
        p.put("probability", r.probability());
        p.put("threshold", r.threshold());
        if (r.explanation() != null) {
          p.put("explanation_method", r.explanation().method());
          p.put("explanation", overlay(r));
        }
      }
    }
    count("ok");
    latency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    ServedModel m = answer.model();
    ctx.header(MODEL_HEADER, m.version() == null ? m.ref() : m.version());
    ctx.contentType("application/json").result(Json.JSON.writeValueAsString(body));
  }

  /** The image with its saliency map over it, as {@code cxr predict --explain} draws it: base64. */
  private static String overlay(BatchingScorer.Result r) throws IOException {
    java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
    javax.imageio.ImageIO.write(
        io.cxr.core.report.Overlays.overlay(
            r.pixels(), r.explanation().values(), r.explanation().size()),
        "png",
        png);
    return Base64.getEncoder().encodeToString(png.toByteArray());
  }

  private void count(String outcome) {
    Counter.builder("cxr_requests")
        .description("requests to /invocations by outcome (image_error: per image)")
        .tag("outcome", outcome)
        .register(metrics)
        .increment();
  }

  /** The images of a request, by its content type. */
  private static List<BatchingScorer.Image> images(Context ctx) throws IOException {
    String type = String.valueOf(ctx.contentType()).toLowerCase(Locale.ROOT);
    if (type.startsWith("application/json")) {
      return fromJson(ctx.bodyAsBytes());
    }
    if (type.startsWith("image/jpeg") || type.startsWith("image/png")) {
      return List.of(new BatchingScorer.Image("body", ctx.bodyAsBytes()));
    }
    if (type.startsWith("multipart/form-data")) {
      List<BatchingScorer.Image> out = new ArrayList<>();
      for (UploadedFile f : ctx.uploadedFiles()) {
        try (InputStream in = f.content()) {
          out.add(new BatchingScorer.Image(f.filename(), in.readAllBytes()));
        }
      }
      if (out.isEmpty()) {
        throw new BadInput("multipart/form-data request without files");
      }
      return out;
    }
    throw new BadInput(
        "content type '"
            + ctx.contentType()
            + "' is not supported (expected application/json, image/jpeg, image/png or"
            + " multipart/form-data)");
  }

  /**
   * MLflow's JSON inputs: exactly one of {@code inputs} or {@code instances} (a list of base64
   * strings or {@code {"b64": ...}} objects) or {@code dataframe_split} (one column of them).
   */
  static List<BatchingScorer.Image> fromJson(byte[] body) {
    JsonNode root;
    try {
      root = Json.JSON.readTree(body);
    } catch (IOException e) {
      throw new BadInput("malformed JSON: " + firstLine(e.getMessage()));
    }
    if (root == null || !root.isObject()) {
      throw new BadInput("expected a JSON object with inputs, instances or dataframe_split");
    }
    List<String> keys = new ArrayList<>();
    for (String k : List.of("inputs", "instances", "dataframe_split")) {
      if (root.has(k)) {
        keys.add(k);
      }
    }
    if (keys.size() != 1) {
      throw new BadInput(
          "expected exactly one of inputs, instances, dataframe_split; got "
              + (keys.isEmpty() ? "none" : String.join(", ", keys)));
    }
    String key = keys.get(0);
    JsonNode rows = root.get(key);
    if (key.equals("dataframe_split")) {
      JsonNode cols = rows.path("columns");
      if (cols.isArray() && cols.size() != 1) {
        throw new BadInput("dataframe_split: expected one column of images, got " + cols.size());
      }
      JsonNode data = rows.path("data");
      if (!data.isArray()) {
        throw new BadInput("dataframe_split: expected data, a list of one-item rows");
      }
      List<JsonNode> cells = new ArrayList<>();
      for (JsonNode row : data) {
        cells.add(row.isArray() && row.size() == 1 ? row.get(0) : row);
      }
      return decodeAll(key + ".data", cells);
    }
    if (!rows.isArray()) {
      throw new BadInput(key + ": expected a list of base64 images");
    }
    List<JsonNode> cells = new ArrayList<>();
    rows.forEach(cells::add);
    return decodeAll(key, cells);
  }

  private static List<BatchingScorer.Image> decodeAll(String where, List<JsonNode> cells) {
    List<BatchingScorer.Image> out = new ArrayList<>(cells.size());
    for (int i = 0; i < cells.size(); i++) {
      JsonNode c = cells.get(i);
      JsonNode text = c.isObject() ? c.get("b64") : c;
      String name = where + "[" + i + "]";
      if (text == null || !text.isTextual()) {
        throw new BadInput(name + ": expected a base64 string or {\"b64\": ...}");
      }
      try {
        // strict base64 (line breaks allowed): the MIME decoder skipped what was not base64
        byte[] bytes = Base64.getDecoder().decode(text.asText().replaceAll("\\s+", ""));
        out.add(new BatchingScorer.Image(name, bytes));
      } catch (IllegalArgumentException e) {
        throw new BadInput(name + ": not base64 (" + e.getMessage() + ")");
      }
    }
    return out;
  }

  private void version(Context ctx) throws IOException {
    ServedModel m = scorer.model();
    if (m == null) {
      throw new BatchingScorer.NoModel();
    }
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("model", m.ref());
    v.put("name", m.name());
    v.put("version", m.version());
    v.put("alias", m.alias());
    v.put("run_id", m.runId());
    v.put("model_type", m.bundle().card().modelType().key());
    v.put("image_size", m.bundle().card().imageSize());
    v.put("threshold", m.bundle().card().threshold());
    v.put("cxr_version", Provenance.version());
    ctx.contentType("application/json").result(Json.JSON.writeValueAsString(v));
  }

  private static void error(Context ctx, int status, String code, String message) {
    ObjectNode e = Json.JSON.createObjectNode();
    e.put("error_code", code);
    e.put("message", message);
    ctx.status(status).contentType("application/json").result(e.toString());
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }

  /** Stops taking connections, lets requests in flight finish, then stops the scorer. */
  @Override
  public void close() {
    app.stop();
    scorer.close();
  }
}
