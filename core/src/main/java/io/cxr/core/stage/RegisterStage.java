package io.cxr.core.stage;

import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.io.Json;
import io.cxr.core.model.BundleFiles;
import io.cxr.core.model.ModelBundle;
import io.cxr.core.model.ModelCard;
import io.cxr.core.registry.ModelRegistry;
import io.cxr.core.registry.Promotion;
import io.cxr.core.registry.Registries;
import io.cxr.core.tracking.MirroredTracker;
import io.cxr.core.tracking.ModelArtifact;
import io.cxr.core.tracking.RunInfo;
import io.cxr.core.tracking.RunSpec;
import io.cxr.core.tracking.RunSync;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code cxr register}: a new registry version for the trained model, and the promotion rule: the
 * alias (champion) moves to it only when its metric is strictly better than the current champion's;
 * with no champion, the first model becomes champion. The decision and both figures are recorded as
 * version tags.
 */
public final class RegisterStage {
  private RegisterStage() {}

  /** The decision. */
  public record Result(
      String registry,
      String name,
      String version,
      boolean promoted,
      String metric,
      double value,
      String championVersion,
      Double championValue) {
    public String describe() {
      return String.format(
          Locale.ROOT,
          "%s version %s: %s %.6f %s",
          name,
          version,
          metric,
          value,
          championVersion == null
              ? "(no champion yet) -> promoted to champion"
              : String.format(
                  Locale.ROOT,
                  "vs champion version %s %.6f -> %s",
                  championVersion,
                  championValue,
                  promoted ? "promoted to champion" : "not better; champion kept"));
    }
  }

  public static Result run(
      CxrConfig cfg, MirroredTracker tracker, Path metrics, Path model, Reporter reporter) {
    // the trained model in paths.models unless other files are named
    Path metricsFile = metrics != null ? metrics : BundleFiles.metrics(cfg.paths().models());
    Path modelFile = model != null ? model : BundleFiles.model(cfg.paths().models());
    String metric = cfg.registry().metric();
    double value = readMetric(metricsFile, metric);
    if (!Files.isRegularFile(modelFile)) {
      throw new CxrException(
          "model " + modelFile + ": not found (expected the model.zip of " + "`cxr train`)");
    }
    checkOneSet(modelFile, metricsFile, metric, value);
    String runId = runOf(cfg, tracker, metricsFile, modelFile, reporter);
    ModelRegistry registry = Registries.of(tracker);
    boolean ownMetrics =
        metricsFile.toAbsolutePath().getParent().equals(modelFile.toAbsolutePath().getParent())
            && metricsFile.getFileName().toString().equals(BundleFiles.METRICS);
    Optional<Double> recorded = ownMetrics ? registry.runMetric(runId, metric) : Optional.empty();
    if (recorded.isPresent() && Math.abs(recorded.get() - value) > 1e-6) {
      // the train run's own record outweighs a file anyone can edit (--metrics names others)
      throw new CxrException(
          String.format(
              Locale.ROOT,
              "%s: %s is %s but run %s recorded %s: the metrics were edited or belong to another"
                  + " run; refusing to register (re-run `cxr train`)",
              metricsFile,
              metric,
              value,
              runId,
              recorded.get()));
    }
    String name = cfg.registry().name();
    String alias = cfg.registry().alias();
    registry.ensureModel(name);
    // one register at a time decides and moves the alias (a file lock on the local store)
    return registry.exclusive(
        name, () -> decide(registry, name, alias, metric, value, runId, reporter));
  }

  /** Creates the version and moves the alias to it when it is strictly better. */
  private static Result decide(
      ModelRegistry registry,
      String name,
      String alias,
      String metric,
      double value,
      String runId,
      Reporter reporter) {
    Optional<ModelRegistry.Version> champion = registry.byAlias(name, alias);
    Double championValue = champion.map(c -> valueOf(registry, name, c, metric)).orElse(null);
    boolean promote = Promotion.promotes(value, championValue);
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put("cxr.metric", metric);
    tags.put("cxr.metric." + metric, Double.toString(value));
    tags.put("cxr.decision", promote ? "promoted" : "kept");
    tags.put(REGISTERED_AT, Long.toString(System.currentTimeMillis()));
    tags.put("cxr.champion_before", champion.map(ModelRegistry.Version::version).orElse("none"));
    tags.put(
        "cxr.champion_before." + metric,
        championValue == null ? "none" : Double.toString(championValue));
    ModelRegistry.Version v = registry.createVersion(name, runId, tags);
    if (promote) {
      promote = promoteVerified(registry, name, alias, metric, v, value, reporter);
    }
    return new Result(
        registry.describe(),
        name,
        v.version(),
        promote,
        metric,
        value,
        champion.map(ModelRegistry.Version::version).orElse(null),
        championValue);
  }

  /**
   * Sets the alias to {@code v}, then reads it back: another register (on a server, which has no
   * lock) may have moved it meanwhile. If it now names a version at least as good, {@code v} is not
   * the champion and its decision tag says so; if a worse one, the alias is taken back. The printed
   * decision is what the registry holds.
   */
  private static boolean promoteVerified(
      ModelRegistry registry,
      String name,
      String alias,
      String metric,
      ModelRegistry.Version v,
      double value,
      Reporter reporter) {
    for (int attempt = 0; attempt < 5; attempt++) {
      registry.setAlias(name, alias, v.version());
      Optional<ModelRegistry.Version> now = registry.byAlias(name, alias);
      if (now.isEmpty() || now.get().version().equals(v.version())) {
        // registered since the champion this one beat, and better: the alias is theirs
        Optional<ModelRegistry.Version> better = betterRival(registry, name, metric, v, value);
        if (better.isEmpty()) {
          return true;
        }
        registry.setAlias(name, alias, better.get().version());
        now = better;
      }
      Double other = valueOf(registry, name, now.get(), metric);
      if (!Promotion.promotes(value, other)) {
        registry.setVersionTags(name, v.version(), Map.of("cxr.decision", "kept"));
        reporter.info(
            "another register made version "
                + now.get().version()
                + " ("
                + metric
                + " "
                + other
                + ") the "
                + alias
                + " meanwhile: version "
                + v.version()
                + " is not better");
        return false;
      }
    }
    throw new CxrException(
        "registry " + name + ": the alias " + alias + " keeps moving; register again later");
  }

  /** The version tag holding when a register created it (epoch milliseconds). */
  static final String REGISTERED_AT = "cxr.registered_at";

  /** Registers this close in time to one another count as concurrent. */
  static final long CONCURRENT_MS = 10 * 60 * 1000L;

  /**
   * The best version registered at the same time as {@code v} that also decided it was promoted and
   * has a strictly better metric: on a server, which has no lock, such a register may have set the
   * alias before this one overwrote it. Its version number may be lower than that of the champion
   * this one compared with (created first, alias set last), so only the time window counts.
   */
  private static Optional<ModelRegistry.Version> betterRival(
      ModelRegistry registry, String name, String metric, ModelRegistry.Version v, double value) {
    if (registry.locks()) {
      return Optional.empty(); // registers ran one after the other: none raced this one
    }
    long at = Long.parseLong(v.tags().get(REGISTERED_AT));
    ModelRegistry.Version best = null;
    double bestValue = value;
    for (ModelRegistry.Version o : registry.versions(name)) {
      String tagged = o.tags().get("cxr.metric." + metric);
      if (o.version().equals(v.version())
          || tagged == null
          || !"promoted".equals(o.tags().get("cxr.decision"))
          || !concurrent(o, at)) {
        continue;
      }
      double ov = Double.parseDouble(tagged);
      if (ov > bestValue) {
        best = o;
        bestValue = ov;
      }
    }
    return Optional.ofNullable(best);
  }

  /**
   * Whether {@code o} was registered within {@link #CONCURRENT_MS} of {@code at}: an older version
   * (e.g. one a user took the alias from on purpose) is no rival.
   */
  private static boolean concurrent(ModelRegistry.Version o, long at) {
    String t = o.tags().get(REGISTERED_AT);
    return t != null && t.matches("\\d{1,19}") && Math.abs(Long.parseLong(t) - at) <= CONCURRENT_MS;
  }

  /** A version's registered metric: its tag, else its run's; an error when neither is there. */
  private static Double valueOf(
      ModelRegistry registry, String name, ModelRegistry.Version c, String metric) {
    String tagged = c.tags().get("cxr.metric." + metric);
    Double v =
        tagged != null
            ? Double.valueOf(tagged)
            : registry.runMetric(c.runId(), metric).orElse(null);
    if (v == null) {
      throw new CxrException(
          "registry "
              + name
              + ": champion version "
              + c.version()
              + " has no recorded '"
              + metric
              + "' to compare with");
    }
    return v;
  }

  /** Metrics that are shares or areas: a value outside [0, 1] is a corrupt file, not a model. */
  static final java.util.regex.Pattern BOUNDED =
      java.util.regex.Pattern.compile(
          "(.*_)?(accuracy|balanced_accuracy|f1|auc|average_precision|precision|sensitivity"
              + "|specificity|ece)");

  /**
   * Refuses to register model files that are not one set: model.zip carries the id of the run that
   * made it and that run's metrics; run.json and the metrics.json beside it must agree with it (a
   * train that died after replacing model.zip but before the rest would otherwise register the new
   * network under the old run's figures).
   */
  static void checkOneSet(Path modelFile, Path metricsFile, String metric, double value) {
    ModelCard card = ModelBundle.readCard(modelFile);
    Map<String, String> prov = card.provenance() == null ? Map.of() : card.provenance();
    String madeBy = prov.get("tracking_run_id");
    Path dir = modelFile.toAbsolutePath().getParent();
    JsonNode run = RunInfo.read(dir);
    if (madeBy != null && run != null && !madeBy.equals(run.path("run_id").asText())) {
      throw new CxrException(
          dir.resolve(RunInfo.RUN_FILE)
              + ": names run "
              + run.path("run_id").asText()
              + " but "
              + modelFile
              + " was made by run "
              + madeBy
              + ": the model files are not one set (did a train stop half way?); re-run `cxr"
              + " train`");
    }
    boolean ownMetrics =
        metricsFile.toAbsolutePath().getParent().equals(dir)
            && metricsFile.getFileName().toString().equals(BundleFiles.METRICS);
    Double trained = card.metrics() == null ? null : card.metrics().get(metric);
    if (ownMetrics && trained != null && Math.abs(trained - value) > 1e-5) {
      throw new CxrException(
          String.format(
              Locale.ROOT,
              "%s: %s is %.6f but %s was trained to %.6f: the metrics belong to another model;"
                  + " re-run `cxr train`",
              metricsFile,
              metric,
              value,
              modelFile,
              trained));
    }
  }

  private static double readMetric(Path metricsFile, String metric) {
    if (!Files.isRegularFile(metricsFile)) {
      throw new CxrException(
          "metrics file "
              + metricsFile
              + ": not found (expected the "
              + "metrics.json of `cxr train`)");
    }
    JsonNode m;
    try {
      m = Json.JSON.readTree(metricsFile.toFile());
    } catch (IOException e) {
      throw new CxrException("metrics file " + metricsFile + ": not valid JSON");
    }
    JsonNode v = m.get(metric);
    if (v == null || !v.isNumber()) {
      throw new CxrException(
          "metrics file "
              + metricsFile
              + ": no numeric '"
              + metric
              + "' (registry.metric) to compare models by");
    }
    double d = v.asDouble();
    if (!Double.isFinite(d) || (BOUNDED.matcher(metric).matches() && (d < 0 || d > 1))) {
      throw new CxrException(
          "metrics file "
              + metricsFile
              + ": '"
              + metric
              + "' is "
              + v.asText()
              + " (expected a number in [0, 1]); a model promoted on it would block every later"
              + " one");
    }
    return d;
  }

  /** The run holding the model: the train run of run.json, or a new run that logs it. */
  private static String runOf(
      CxrConfig cfg, MirroredTracker tracker, Path metricsFile, Path modelFile, Reporter reporter) {
    JsonNode info = RunInfo.read(modelFile.toAbsolutePath().getParent());
    if (info != null) {
      String local = info.path("run_id").asText();
      String exp = info.path("experiment_id").asText();
      boolean known = Files.isRegularFile(tracker.local().runDir(exp, local).resolve("meta.yaml"));
      if (known && tracker.remote() == null) {
        return local;
      }
      if (known) {
        String remote = tracker.local().read(exp, local).tags().get("cxr.remote_run_id");
        if (remote == null
            || !tracker
                .remote()
                .display()
                .equals(tracker.local().read(exp, local).tags().get("cxr.remote_uri"))) {
          reporter.info(
              "the train run "
                  + local
                  + " is not on "
                  + tracker.remote().display()
                  + " yet: syncing the local store first");
          RunSync.sync(tracker.local(), tracker.remote(), reporter);
          remote = tracker.local().read(exp, local).tags().get("cxr.remote_run_id");
        }
        return remote;
      }
    }
    RunSpec spec =
        RunSpec.of(
            cfg.experiment().name(),
            RunInfo.runName(cfg, "register", null),
            RunInfo.tags("register", null, null));
    return tracker.within(
        spec,
        run -> {
          ModelArtifact.log(run, modelFile);
          run.logArtifact(metricsFile, "");
          return tracker.remote() != null ? run.remoteRunId() : run.runId();
        });
  }
}
