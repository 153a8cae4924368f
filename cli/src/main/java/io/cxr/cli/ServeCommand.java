package io.cxr.cli;

import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.data.ImageDecoder;
import io.cxr.core.model.ModelBundle;
import io.cxr.core.model.PixelCheck;
import io.cxr.core.registry.ModelRefs;
import io.cxr.core.registry.ModelRegistry;
import io.cxr.core.registry.Registries;
import io.cxr.core.serve.ModelWatcher;
import io.cxr.core.serve.ServedModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
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
            + " /health, /version, /metrics). Concurrent requests are scored together. With"
            + " models:/<name>@<alias>, follows the alias: when it moves, the new version is"
            + " loaded and switched to without failing a request.")
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
      defaultValue = "8090",
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
      defaultValue = "512",
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

  @Option(
      names = "--poll-s",
      defaultValue = "10",
      description =
          "with models:/<name>@<alias>: how often to ask the registry whether the alias moved;"
              + " a new version is loaded beside the old one and switched to (default:"
              + " ${DEFAULT-VALUE})")
  int pollS;

  @Parameters(paramLabel = "<key=value>", description = "config overrides")
  List<String> overrides = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    CxrConfig cfg = config(overrides);
    if (pollS < 1) {
      throw new CxrException("--poll-s " + pollS + ": expected at least 1 second");
    }
    ImageDecoder.use(cfg.data().decoder());
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
    ModelRefs.Ref ref = ModelRefs.isRef(model.ref) ? ModelRefs.parse(model.ref) : null;
    Reporter reporter = reporter();
    ScoringServer server;
    ModelWatcher watcher = null;
    if (ref != null && ref.alias() != null) {
      server = new ScoringServer(null, opts);
      watcher = follow(cfg, ref, server, reporter);
    } else {
      Path path = modelPath(cfg, model.ref);
      server = new ScoringServer(served(model.ref, path, load(path, reporter)), opts);
    }
    server.start();
    CountDownLatch stopped = new CountDownLatch(1);
    ModelWatcher w = watcher;
    // SIGTERM (docker stop, Airflow, systemd) and Ctrl-C: no new connections, the requests in
    // flight answered, then exit 0 (a shutdown hook could only end with 143)
    Runnable stop =
        () -> {
          if (w != null) {
            w.close();
          }
          server.close();
          stopped.countDown();
        };
    for (String signal : new String[] {"TERM", "INT"}) {
      sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> new Thread(stop).start());
    }
    err()
        .printf(
            "serving %s on http://%s:%d%s: POST /invocations; GET /ping /health /version"
                + " /metrics%s%n",
            model.ref == null ? modelPath(cfg, null) : model.ref,
            host,
            server.port(),
            opts.token() == null ? "" : " (bearer token from " + TOKEN_VARIABLE + ")",
            w == null ? "" : "; checking the registry every " + pollS + " s");
    stopped.await();
    return 0;
  }

  /**
   * Follows the alias: the version it points at now if there is one, later ones as it moves; a
   * server started before the alias exists answers 503 until it does.
   */
  private ModelWatcher follow(
      CxrConfig cfg, ModelRefs.Ref ref, ScoringServer server, Reporter reporter) {
    ModelRegistry registry = Registries.of(tracker(cfg));
    ModelWatcher watcher =
        new ModelWatcher(
            registry, ref.name(), ref.alias(), file -> load(file, reporter), server, reporter);
    if (!watcher.poll()) {
      reporter.warn(
          model.ref
              + " is not in "
              + registry.describe()
              + " yet (or cannot be loaded): serving nothing until it is; /health answers 503");
    }
    return watcher.start(Duration.ofSeconds(pollS));
  }

  private static ModelBundle load(Path file, Reporter reporter) {
    ModelBundle bundle = ModelBundle.load(file);
    PixelCheck.check(bundle.card(), file.toString(), false, reporter);
    return bundle;
  }

  /** A model given as a file or as models:/name/version: what /version reports of it. */
  static ServedModel served(String ref, Path path, ModelBundle bundle) {
    if (ref == null || !ModelRefs.isRef(ref)) {
      return ServedModel.of(bundle, ref == null ? path.toString() : ref, null, null, null);
    }
    ModelRefs.Ref r = ModelRefs.parse(ref);
    return ServedModel.of(bundle, ref, r.name(), r.version(), r.alias());
  }
}
