package io.cxr.cli;

import io.cxr.core.config.CxrConfig;
import io.cxr.core.data.ImageDecoder;
import io.cxr.core.model.ModelBundle;
import io.cxr.core.model.PixelCheck;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cxr serve}. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description =
        "Serve a model over HTTP with MLflow's scoring protocol (POST /invocations; GET /ping,"
            + " /health, /version, /metrics). Concurrent requests are scored together.")
final class ServeCommand extends BaseCommand {
  /** The environment variable holding the bearer token clients must send (never logged). */
  static final String TOKEN_VARIABLE = "CXR_SERVE_TOKEN";

  @Mixin ModelOption model;

  @Option(
      names = "--host",
      defaultValue = "127.0.0.1",
      description = "address to bind (default: ${DEFAULT-VALUE}, this machine only)")
  String host;

  @Option(
      names = "--port",
      defaultValue = "8080",
      description = "port (default: ${DEFAULT-VALUE}; 0 picks a free one)")
  int port;

  @Option(
      names = "--max-batch",
      defaultValue = "64",
      description = "images scored together at most (default: ${DEFAULT-VALUE})")
  int maxBatch;

  @Option(
      names = "--max-wait-ms",
      defaultValue = "5",
      description =
          "how long a request waits for others to join its batch (default: ${DEFAULT-VALUE})")
  long maxWaitMs;

  @Option(
      names = "--queue",
      defaultValue = "64",
      description =
          "requests waiting at most; beyond, 503 with Retry-After (default: ${DEFAULT-VALUE})")
  int queue;

  @Option(
      names = "--max-body-mb",
      defaultValue = "32",
      description = "request body limit in MiB; beyond, 413 (default: ${DEFAULT-VALUE})")
  int maxBodyMb;

  @Option(
      names = "--timeout-s",
      defaultValue = "60",
      description =
          "a request not scored within this many seconds gets 503 (default: ${DEFAULT-VALUE})")
  int timeoutS;

  @Parameters(paramLabel = "<key=value>", description = "config overrides")
  List<String> overrides = new ArrayList<>();

  private static final Pattern REF = Pattern.compile("models:/([^@/]+)(?:@([^/]+)|/(\\d+))?");
  private static final Pattern CACHED = Pattern.compile(".*-v(\\d+)\\.zip");

  @Override
  public Integer call() throws Exception {
    CxrConfig cfg = config(overrides);
    Path path = modelPath(cfg, model.ref);
    ImageDecoder.use(cfg.data().decoder());
    ModelBundle bundle = ModelBundle.load(path);
    PixelCheck.check(bundle.card(), path.toString(), false, reporter());
    String token = System.getenv(TOKEN_VARIABLE);
    ScoringServer.Options opts =
        new ScoringServer.Options(
            host,
            port,
            maxBatch,
            Duration.ofMillis(maxWaitMs),
            queue,
            (long) maxBodyMb << 20,
            Duration.ofSeconds(timeoutS),
            token == null || token.isBlank() ? null : token);
    ScoringServer server = new ScoringServer(bundle, info(model.ref, path, bundle), opts).start();
    CountDownLatch stopped = new CountDownLatch(1);
    // SIGTERM (docker stop, Airflow, systemd) and Ctrl-C: no new connections, the requests in
    // flight answered, then exit 0 (a shutdown hook could only end with 143)
    Runnable stop =
        () -> {
          server.close();
          stopped.countDown();
        };
    for (String signal : new String[] {"TERM", "INT"}) {
      sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> new Thread(stop).start());
    }
    err()
        .printf(
            "serving %s (%s, %d px) on http://%s:%d%s: POST /invocations; GET /ping /health"
                + " /version /metrics%n",
            model.ref == null ? path : model.ref,
            bundle.card().modelType().key(),
            bundle.card().imageSize(),
            host,
            server.port(),
            opts.token() == null ? "" : " (bearer token from " + TOKEN_VARIABLE + ")");
    stopped.await();
    return 0;
  }

  /** What {@code /version} reports: the reference, and name/alias/version when it is models:/. */
  static ScoringServer.ModelInfo info(String ref, Path path, ModelBundle bundle) {
    String name = null;
    String alias = null;
    String version = null;
    if (ref != null) {
      Matcher m = REF.matcher(ref);
      if (m.matches()) {
        name = m.group(1);
        alias = m.group(2);
        version = m.group(3);
      }
      Matcher c = CACHED.matcher(path.getFileName().toString());
      if (version == null && c.matches()) {
        version = c.group(1);
      }
    }
    String runId =
        bundle.card().provenance() == null
            ? null
            : bundle.card().provenance().get("tracking_run_id");
    return new ScoringServer.ModelInfo(
        ref == null ? path.toString() : ref, name, version, alias, runId);
  }
}
