package io.cxr.core.tracking;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.TestData;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.data.PreparedDataset;
import io.cxr.core.eval.EpochRecord;
import io.cxr.core.io.Json;
import io.cxr.core.registry.ModelRefs;
import io.cxr.core.stage.RegisterStage;
import io.cxr.core.stage.TrainStage;
import io.cxr.core.train.TrainingListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tracking and registry against the real pinned MLflow server, checked through the server's own
 * REST API (and, for the local store, through the Python mlflow package), not through cxr.
 */
class MlflowTrackingTest extends MlflowFixture {

  /** A reporter that remembers warnings. */
  static final class Recorder implements Reporter {
    final List<String> lines = new ArrayList<>();

    @Override
    public void info(String message) {
      lines.add(message);
    }

    @Override
    public void warn(String message) {
      lines.add("WARN " + message);
    }

    @Override
    public Progress progress(String task, long total) {
      return Progress.NONE;
    }
  }

  private CxrConfig cfg(Path work, String... more) {
    return TestData.config(work, overrides(more).toArray(String[]::new));
  }

  private JsonNode runsOf(String experiment) throws Exception {
    return server.runsOf(experiment);
  }

  private static Map<String, String> kv(JsonNode list) {
    return MlflowServer.kv(list);
  }

  @Test
  void trainRunIsRecordedOnTheServer() throws Exception {
    Path work = tmp.resolve("train");
    CxrConfig cfg = cfg(work, "tracking.uri=" + server.uri(), "experiment.name=tracked");
    MirroredTracker tracker = Tracking.open(cfg, Map.of(), Reporter.SILENT);
    TrainStage.run(cfg, new TrainingListener() {}, Reporter.SILENT, tracker);

    JsonNode runs = runsOf("tracked");
    assertEquals(1, runs.size());
    JsonNode run = runs.get(0);
    assertEquals("FINISHED", run.path("info").path("status").asText());
    Map<String, String> params = kv(run.path("data").path("params"));
    assertEquals("3", params.get("train.epochs"));
    assertEquals("[8, 16]", params.get("model.cnn.filters"));
    assertTrue(params.size() > 40, "the whole resolved config: " + params.size());
    Map<String, String> tags = kv(run.path("data").path("tags"));
    assertEquals(PreparedDataset.load(prepared).manifestSha256(), tags.get("data_manifest_sha256"));
    assertEquals("cnn", tags.get("model_type"));
    assertTrue(
        tags.get("nd4j_backend").contains("Cpu") || tags.get("nd4j_backend").contains("Native"),
        tags.get("nd4j_backend"));
    assertTrue(tags.containsKey("git_commit") && tags.containsKey("host"), tags.toString());
    // the Datasets column: the three prepared splits, by context, with the manifest's digest
    String digest = PreparedDataset.load(prepared).manifestSha256().substring(0, 16);
    assertEquals(
        List.of(
            "pneumoniamnist.npz/test test",
            "pneumoniamnist.npz/train training",
            "pneumoniamnist.npz/val validation"),
        datasets(run, digest));
    String runId = run.path("info").path("run_id").asText();
    JsonNode history =
        server
            .get("metrics/get-history?run_id=" + runId + "&metric_key=epoch_val_auc")
            .path("metrics");
    assertEquals(3, history.size(), "one point per epoch");
    List<Integer> steps = new ArrayList<>();
    history.forEach(p -> steps.add(p.path("step").asInt()));
    assertEquals(List.of(1, 2, 3), steps.stream().sorted().toList());
    JsonNode metrics = Json.JSON.readTree(work.resolve("models/metrics.json").toFile());
    assertEquals(
        metrics.get("test_auc").asDouble(),
        kvDouble(run.path("data").path("metrics"), "test_auc"),
        1e-9);
    String artifactUri = run.path("info").path("artifact_uri").asText();
    assertArrayEquals(
        Files.readAllBytes(work.resolve("models/model.zip")),
        server.artifact(artifactUri, "model/model.zip"));
    assertArrayEquals(
        Files.readAllBytes(work.resolve("models/metrics.json")),
        server.artifact(artifactUri, "metrics.json"));
    assertArrayEquals(
        Files.readAllBytes(work.resolve("artifacts/tracked/roc_curve.png")),
        server.artifact(artifactUri, "plots/roc_curve.png"));
  }

  @Test
  void championMovesOnlyToAStrictlyBetterModel() throws Exception {
    Path work = tmp.resolve("registry");
    CxrConfig cfg =
        cfg(work, "tracking.uri=" + server.uri(), "experiment.name=reg", "registry.name=cxr-test");
    MirroredTracker tracker = Tracking.open(cfg, Map.of(), Reporter.SILENT);
    TrainStage.run(cfg, new TrainingListener() {}, Reporter.SILENT, tracker);
    Path models = work.resolve("models");
    double f1 =
        Json.JSON.readTree(models.resolve("metrics.json").toFile()).get("test_f1").asDouble();

    RegisterStage.Result first = register(cfg, tracker, models, f1);
    assertTrue(first.promoted());
    assertEquals("1", champion("cxr-test"));
    RegisterStage.Result better = register(cfg, tracker, models, f1 + 0.01);
    assertTrue(better.promoted());
    assertEquals("2", champion("cxr-test"));
    RegisterStage.Result worse = register(cfg, tracker, models, f1 - 0.02);
    assertFalse(worse.promoted());
    assertEquals("2", champion("cxr-test"));
    RegisterStage.Result equal = register(cfg, tracker, models, f1 + 0.01);
    assertFalse(equal.promoted(), "equal is not better");
    assertEquals("2", champion("cxr-test"));
    assertEquals(
        4,
        server
            .get("model-versions/search?filter=" + MlflowServer.enc("name='cxr-test'"))
            .path("model_versions")
            .size());
    JsonNode v3 = server.get("model-versions/get?name=cxr-test&version=3").path("model_version");
    Map<String, String> tags = kv(v3.path("tags"));
    assertEquals("kept", tags.get("cxr.decision"));
    assertEquals("2", tags.get("cxr.champion_before"));
    assertEquals(f1 + 0.01, Double.parseDouble(tags.get("cxr.champion_before.test_f1")), 1e-9);
    // the registry page of a version works in the stock UI: its MLmodel is served (was HTTP 500)
    var page = server.versionArtifact("cxr-test", "1", "MLmodel");
    assertEquals(200, page.statusCode(), page.body());
    assertTrue(page.body().contains("flavors:") && page.body().contains("model_file: model.zip"));
    assertTrue(
        server
            .get("model-versions/get?name=cxr-test&version=1")
            .path("model_version")
            .path("source")
            .asText()
            .startsWith("mlflow-artifacts:/"));
    // the champion loads back as a model through the registry
    Path zip = ModelRefs.resolve("models:/cxr-test@champion", tracker);
    assertArrayEquals(Files.readAllBytes(models.resolve("model.zip")), Files.readAllBytes(zip));
  }

  /**
   * Four registers at once, five rounds, on the local store and on the server: every version is
   * kept, the champion ends on the best model, and each printed decision is what the registry's
   * decision tag says.
   */
  @Test
  void concurrentRegistersKeepEveryVersionAndEndOnTheBestModel() throws Exception {
    Path work = tmp.resolve("race");
    CxrConfig local = cfg(work, "experiment.name=race");
    MirroredTracker localTracker = Tracking.open(local, Map.of(), Reporter.SILENT);
    TrainStage.run(local, new TrainingListener() {}, Reporter.SILENT, localTracker);
    Path models = work.resolve("models");
    CxrConfig remote = cfg(work, "experiment.name=race", "tracking.uri=" + server.uri());
    MirroredTracker remoteTracker = Tracking.open(remote, Map.of(), Reporter.SILENT);
    // the train run goes to the server once, before the races (each register would sync it)
    RunSync.sync(localTracker.local(), remoteTracker.remote(), Reporter.SILENT);
    double[] f1 = {0.81, 0.84, 0.83, 0.82};
    for (int round = 0; round < 5; round++) {
      for (boolean onServer : new boolean[] {false, true}) {
        String name = "race-" + (onServer ? "server-" : "local-") + round;
        CxrConfig c =
            io.cxr.core.config.ConfigLoader.with(
                onServer ? remote : local, List.of("registry.name=" + name));
        MirroredTracker t = onServer ? remoteTracker : localTracker;
        java.util.concurrent.ExecutorService pool =
            java.util.concurrent.Executors.newFixedThreadPool(f1.length);
        List<java.util.concurrent.Future<RegisterStage.Result>> futures = new ArrayList<>();
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        for (double v : f1) {
          futures.add(
              pool.submit(
                  () -> {
                    go.await();
                    return register(c, t, models, v);
                  }));
        }
        go.countDown();
        List<RegisterStage.Result> results = new ArrayList<>();
        for (var f : futures) {
          results.add(f.get());
        }
        pool.shutdown();
        io.cxr.core.registry.ModelRegistry reg = io.cxr.core.registry.Registries.of(t);
        assertEquals(
            List.of("1", "2", "3", "4"),
            results.stream().map(RegisterStage.Result::version).sorted().toList(),
            name + ": four distinct versions");
        var champion = reg.byAlias(name, "champion").orElseThrow();
        assertEquals(
            "0.84", champion.tags().get("cxr.metric.test_f1"), name + ": the best is champion");
        for (RegisterStage.Result r : results) {
          String decision = reg.version(name, r.version()).orElseThrow().tags().get("cxr.decision");
          assertEquals(r.promoted() ? "promoted" : "kept", decision, name + " v" + r.version());
        }
        assertTrue(
            results.stream()
                .filter(r -> r.version().equals(champion.version()))
                .allMatch(RegisterStage.Result::promoted),
            name + ": the champion was reported promoted");
      }
    }
  }

  /**
   * Four {@code register} processes at once, 20 rounds on the local store and 20 on the server: the
   * processes share only the registry (the local store's file lock, the server's versions and
   * alias). Every version is kept, the champion ends on the best model, and what each process
   * printed is what the registry's decision tag says.
   */
  @Test
  void concurrentRegisterProcessesKeepEveryVersionAndEndOnTheBestModel() throws Exception {
    Path work = tmp.resolve("race-proc");
    List<String> localOverrides = new ArrayList<>(overrides("experiment.name=race-proc"));
    CxrConfig local = TestData.config(work, localOverrides.toArray(String[]::new));
    MirroredTracker localTracker = Tracking.open(local, Map.of(), Reporter.SILENT);
    TrainStage.run(local, new TrainingListener() {}, Reporter.SILENT, localTracker);
    Path models = work.resolve("models");
    List<String> remoteOverrides = new ArrayList<>(localOverrides);
    remoteOverrides.add("tracking.uri=" + server.uri());
    CxrConfig remote = TestData.config(work, remoteOverrides.toArray(String[]::new));
    MirroredTracker remoteTracker = Tracking.open(remote, Map.of(), Reporter.SILENT);
    RunSync.sync(localTracker.local(), remoteTracker.remote(), Reporter.SILENT);
    double[] f1 = {0.81, 0.84, 0.83, 0.82};
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classPath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    for (int round = 0; round < 20; round++) {
      for (boolean onServer : new boolean[] {false, true}) {
        String name = "proc-" + (onServer ? "server-" : "local-") + round;
        List<String> o = new ArrayList<>(onServer ? remoteOverrides : localOverrides);
        o.add("registry.name=" + name);
        List<Process> children = new ArrayList<>();
        for (double v : f1) {
          Path metrics = metricsWith(models, name, v);
          List<String> cmd =
              new ArrayList<>(
                  List.of(
                      javaBin,
                      "-cp",
                      classPath,
                      RegisterChild.class.getName(),
                      metrics.toString(),
                      models.resolve("model.zip").toString()));
          cmd.addAll(TestData.configArgs(work, o));
          children.add(new ProcessBuilder(cmd).redirectErrorStream(true).start());
        }
        Map<String, String> printed = new java.util.HashMap<>();
        for (Process p : children) {
          String out = new String(p.getInputStream().readAllBytes()).strip();
          assertEquals(0, p.waitFor(), name + ": " + out);
          // an expected "not found" or "already exists" is no rate limit, and not retried
          assertFalse(out.contains("Rate limit"), name + ": " + out);
          String last = out.lines().reduce((a, b) -> b).orElse("");
          printed.put(last.split(" ")[0], last.split(" ")[1]);
        }
        io.cxr.core.registry.ModelRegistry reg =
            io.cxr.core.registry.Registries.of(onServer ? remoteTracker : localTracker);
        assertEquals(
            java.util.Set.of("1", "2", "3", "4"), printed.keySet(), name + ": four versions");
        var champion = reg.byAlias(name, "champion").orElseThrow();
        assertEquals(
            "0.84", champion.tags().get("cxr.metric.test_f1"), name + ": the best is champion");
        assertEquals("promoted", printed.get(champion.version()), name + ": champion printed");
        printed.forEach(
            (version, decision) ->
                assertEquals(
                    decision,
                    reg.version(name, version).orElseThrow().tags().get("cxr.decision"),
                    name + " v" + version));
      }
    }
  }

  private List<String> overrides(String... more) {
    List<String> o =
        new ArrayList<>(
            List.of(
                "paths.prepared=" + prepared,
                "train.epochs=3",
                "model.cnn.filters=[8, 16]",
                "model.cnn.dense_units=16"));
    o.addAll(List.of(more));
    return o;
  }

  private static Path metricsWith(Path models, String name, double f1) throws Exception {
    Path metrics = models.resolve("metrics-" + name + "-" + f1 + ".json");
    JsonNode m = Json.JSON.readTree(models.resolve("metrics.json").toFile());
    ((com.fasterxml.jackson.databind.node.ObjectNode) m).put("test_f1", f1);
    Files.writeString(metrics, Json.toJson(m));
    return metrics;
  }

  private RegisterStage.Result register(
      CxrConfig cfg, MirroredTracker tracker, Path models, double f1) throws Exception {
    Path metrics = metricsWith(models, cfg.registry().name(), f1);
    return RegisterStage.run(cfg, tracker, metrics, models.resolve("model.zip"), Reporter.SILENT);
  }

  private String champion(String name) throws Exception {
    return server
        .get("registered-models/alias?name=" + name + "&alias=champion")
        .path("model_version")
        .path("version")
        .asText();
  }

  private static double kvDouble(JsonNode list, String key) {
    for (JsonNode e : list) {
      if (e.path("key").asText().equals(key)) {
        return e.path("value").asDouble();
      }
    }
    throw new AssertionError("no metric " + key);
  }

  @Test
  void serverKilledDuringTrainingThenSyncCompletesTheRun(@TempDir Path own) throws Exception {
    try (MlflowServer flaky = new MlflowServer(own)) {
      Path work = tmp.resolve("fault");
      CxrConfig cfg = cfg(work, "tracking.uri=" + flaky.uri(), "experiment.name=fault");
      Recorder rec = new Recorder();
      MirroredTracker tracker = Tracking.open(cfg, Map.of(), rec);
      TrainStage.run(
          cfg,
          new TrainingListener() {
            @Override
            public void onEpoch(EpochRecord r) {
              if (r.epoch() == 1) {
                flaky.kill();
              }
            }
          },
          rec,
          tracker);
      assertTrue(Files.isRegularFile(work.resolve("models/model.zip")));
      assertTrue(Files.isRegularFile(work.resolve("models/metrics.json")));
      assertEquals(
          1, rec.lines.stream().filter(l -> l.startsWith("WARN")).count(), rec.lines.toString());

      flaky.start();
      JsonNode before = runsOfOn(flaky, "fault");
      assertEquals(1, before.size());
      assertEquals("RUNNING", before.get(0).path("info").path("status").asText());
      FileStore local = new FileStore(work.resolve("mlruns"));
      try (MlflowRemote remote = Tracking.connect(flaky.uri(), Map.of())) {
        RunSync.sync(local, remote, Reporter.SILENT);
        JsonNode after = runsOfOn(flaky, "fault");
        assertEquals(1, after.size(), "the mirrored run is completed, not duplicated");
        JsonNode run = after.get(0);
        assertEquals("FINISHED", run.path("info").path("status").asText());
        String id = run.path("info").path("run_id").asText();
        assertEquals(
            3,
            flaky
                .get("metrics/get-history?run_id=" + id + "&metric_key=epoch_val_auc")
                .path("metrics")
                .size());
        assertArrayEquals(
            Files.readAllBytes(work.resolve("models/model.zip")),
            flaky.artifact(run.path("info").path("artifact_uri").asText(), "model/model.zip"));
        assertEquals(
            3,
            datasets(run, PreparedDataset.load(prepared).manifestSha256().substring(0, 16)).size(),
            "logged live and again by sync: once each");
        RunSync.Result again = RunSync.sync(local, remote, Reporter.SILENT);
        assertEquals(0, again.created());
        assertEquals(0, again.metricPoints());
        assertEquals(0, again.artifacts(), "unchanged artifacts are not sent again");
        // one changed file is sent again, and only it
        Path art = local.runs().get(0).artifacts();
        Path changed;
        try (Stream<Path> files = Files.walk(art)) {
          changed = files.filter(Files::isRegularFile).sorted().findFirst().orElseThrow();
        }
        Files.writeString(changed, "edited\n", java.nio.file.StandardOpenOption.APPEND);
        assertEquals(1, RunSync.sync(local, remote, Reporter.SILENT).artifacts());
        assertArrayEquals(
            Files.readAllBytes(changed),
            flaky.artifact(
                run.path("info").path("artifact_uri").asText(),
                art.relativize(changed).toString()));
        assertEquals(1, runsOfOn(flaky, "fault").size());
        assertEquals(
            3,
            flaky
                .get("metrics/get-history?run_id=" + id + "&metric_key=epoch_val_auc")
                .path("metrics")
                .size());
      }
    }
  }

  @Test
  void aSearchThatNeverReachedTheServerSyncsWithItsTrialsUnderTheRemoteParent() throws Exception {
    Path work = tmp.resolve("offline-search");
    List<String> o =
        new ArrayList<>(
            List.of(
                "paths.prepared=" + prepared,
                "paths.models=" + work.resolve("models"),
                "paths.artifacts=" + work.resolve("artifacts"),
                "tracking.local_dir=" + work.resolve("mlruns"),
                "tracking.uri=",
                "experiment.name=offline-search",
                "hpo.output=" + work.resolve("best.yaml"),
                "hpo.trials=2",
                "train.epochs=1",
                "hpo.space.cnn=[{key: model.cnn.filters, type: choice, values: [[8], [16]]}]"));
    CxrConfig cfg = io.cxr.core.config.ConfigLoader.load(null, o);
    io.cxr.core.stage.OptimizeStage.Result r =
        io.cxr.core.stage.OptimizeStage.run(
            cfg, null, o, false, Tracking.open(cfg, Map.of(), Reporter.SILENT), Reporter.SILENT);
    try (MlflowRemote remote = Tracking.connect(server.uri(), Map.of())) {
      RunSync.sync(new FileStore(work.resolve("mlruns")), remote, Reporter.SILENT);
    }
    JsonNode runs = runsOf("offline-search");
    assertEquals(3, runs.size(), "the parent and its two trials");
    String remoteParent = null;
    List<String> parentsOfTrials = new ArrayList<>();
    for (JsonNode run : runs) {
      Map<String, String> tags = MlflowServer.kv(run.path("data").path("tags"));
      assertEquals("FINISHED", run.path("info").path("status").asText());
      if (tags.containsKey("mlflow.parentRunId")) {
        parentsOfTrials.add(tags.get("mlflow.parentRunId"));
      } else {
        remoteParent = run.path("info").path("run_id").asText();
      }
    }
    assertTrue(remoteParent != null, "one run without a parent");
    // the trials point at the server's id of the parent, whatever the local id was
    assertEquals(
        List.of(remoteParent, remoteParent),
        parentsOfTrials,
        "nested under the parent (local parent id " + r.parentRunId() + ")");
  }

  @Test
  void basicAuthWorksWithMlflowsOwnAuthServerAndThePasswordIsNeverStoredOrPrinted(@TempDir Path own)
      throws Exception {
    String password = "pw-SECRET-771234";
    try (MlflowServer secured = new MlflowServer(own, "admin", password)) {
      Path work = tmp.resolve("basic-auth");
      CxrConfig cfg =
          cfg(
              work,
              "tracking.uri=" + secured.uri(),
              "experiment.name=secured",
              "tracking.required=true");
      Recorder rec = new Recorder();
      // from the environment
      MirroredTracker t =
          Tracking.open(
              cfg,
              Map.of("MLFLOW_TRACKING_USERNAME", "admin", "MLFLOW_TRACKING_PASSWORD", password),
              rec);
      TrackedRun run = t.start("secured", "env-credentials", Map.of(), null);
      run.logParams(RunInfo.params(cfg));
      run.end(RunStatus.FINISHED);
      // from user info in the URI
      CxrConfig withUserInfo =
          cfg(
              work,
              "tracking.uri=http://admin:"
                  + password
                  + "@"
                  + secured.uri().substring("http://".length()),
              "experiment.name=secured",
              "tracking.required=true");
      // the config keeps the URI without its user info: config.yaml, cards, params never hold it
      assertEquals(secured.uri(), withUserInfo.tracking().uri());
      assertFalse(io.cxr.core.config.ConfigLoader.toYaml(withUserInfo).contains(password));
      TrackedRun run2 =
          Tracking.open(withUserInfo, Map.of(), rec)
              .start("secured", "uri-credentials", Map.of(), null);
      run2.logParams(RunInfo.params(withUserInfo));
      run2.end(RunStatus.FINISHED);
      JsonNode runs = runsOfOn(secured, "secured");
      assertEquals(2, runs.size(), "both runs reached the secured server");
      for (JsonNode r : runs) {
        assertEquals("FINISHED", r.path("info").path("status").asText());
      }
      // a wrong password: refused by the server, and the message does not repeat it
      String wrong = "not-the-password-9";
      CxrException e =
          assertThrows(
              CxrException.class,
              () ->
                  Tracking.open(
                      cfg,
                      Map.of(
                          "MLFLOW_TRACKING_USERNAME", "admin", "MLFLOW_TRACKING_PASSWORD", wrong),
                      rec));
      assertFalse(e.getMessage().contains(wrong), e.getMessage());
      assertTrue(
          e.getMessage().contains("401")
              || e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("auth"),
          e.getMessage());
      String printed = String.join("\n", rec.lines);
      assertFalse(printed.contains(password) || printed.contains(wrong), "not printed");
      try (Stream<Path> files = Files.walk(work.resolve("mlruns"))) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          assertFalse(Files.readString(f).contains(password), "not stored: " + f);
        }
      }
    }
  }

  private static JsonNode runsOfOn(MlflowServer s, String experiment) throws Exception {
    return s.runsOf(experiment);
  }

  @Test
  void localDefaultIsReadByStockMlflow() throws Exception {
    Path work = tmp.resolve("local");
    CxrConfig cfg = cfg(work, "experiment.name=localexp", "registry.name=cxr-local");
    MirroredTracker tracker = Tracking.open(cfg, Map.of(), Reporter.SILENT);
    assertEquals(null, tracker.remote());
    TrainStage.run(cfg, new TrainingListener() {}, Reporter.SILENT, tracker);
    RegisterStage.run(
        cfg,
        tracker,
        work.resolve("models/metrics.json"),
        work.resolve("models/model.zip"),
        Reporter.SILENT);
    String script =
        String.join(
            "\n",
            "import json, sys, mlflow",
            "from mlflow.tracking import MlflowClient",
            "uri = 'file://' + sys.argv[1]",
            "c = MlflowClient(tracking_uri=uri, registry_uri=uri)",
            "exp = c.get_experiment_by_name('localexp')",
            "runs = c.search_runs([exp.experiment_id])",
            "r = runs[0]",
            "h = c.get_metric_history(r.info.run_id, 'epoch_val_auc')",
            "v = c.get_model_version_by_alias('cxr-local', 'champion')",
            "arts = [a.path for a in c.list_artifacts(r.info.run_id, 'model')]",
            "from mlflow.models import Model",
            "m = Model.load(c.download_artifacts(r.info.run_id, 'model/MLmodel'))",
            "print(json.dumps({'runs': len(runs), 'status': r.info.status,",
            "  'flavors': sorted(m.flavors), 'uuid': m.model_uuid, 'mlmodel_run': m.run_id,",
            "  'signature_in': m.signature.inputs.input_names() if m.signature else None,",
            "  'epochs': r.data.params['train.epochs'], 'test_auc': r.data.metrics['test_auc'],",
            "  'history': len(h), 'model_type': r.data.tags['model_type'],",
            "  'champion': v.version, 'champion_run': v.run_id, 'run': r.info.run_id,",
            "  'datasets': sorted(d.dataset.name + ' ' + d.dataset.digest + ' '",
            "    + [t.value for t in d.tags if t.key == 'mlflow.data.context'][0]",
            "    for d in r.inputs.dataset_inputs),",
            "  'logged': json.loads(r.data.tags['mlflow.log-model.history']),",
            "  'artifacts': arts}))");
    Process p =
        new ProcessBuilder(
                TestData.venvBin("python").toString(),
                "-c",
                script,
                work.resolve("mlruns").toAbsolutePath().toString())
            .redirectErrorStream(false)
            .start();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    String err = new String(p.getErrorStream().readAllBytes());
    assertEquals(0, p.waitFor(), err);
    JsonNode j = Json.JSON.readTree(out.lines().reduce((a, b) -> b).orElse("{}"));
    assertEquals(1, j.get("runs").asInt());
    assertEquals("FINISHED", j.get("status").asText());
    assertEquals("3", j.get("epochs").asText());
    assertEquals(3, j.get("history").asInt());
    assertEquals("cnn", j.get("model_type").asText());
    double auc =
        Json.JSON.readTree(work.resolve("models/metrics.json").toFile()).get("test_auc").asDouble();
    assertEquals(auc, j.get("test_auc").asDouble(), 1e-9);
    assertEquals("1", j.get("champion").asText());
    assertEquals(j.get("run").asText(), j.get("champion_run").asText());
    // the model folder as MLflow lays out a logged model: MLmodel beside the bundle
    assertEquals(
        List.of("model/MLmodel", "model/model.zip"),
        List.of(j.get("artifacts").get(0).asText(), j.get("artifacts").get(1).asText()));
    // and MLflow's own Model class reads it: flavor, uuid, run, signature
    assertEquals("[\"cxr\"]", j.get("flavors").toString());
    assertEquals(36, j.get("uuid").asText().length(), j.toString());
    assertEquals(j.get("run").asText(), j.get("mlmodel_run").asText());
    assertEquals("[\"image\"]", j.get("signature_in").toString());
    // the Models column: the tag MLflow's log_model writes, naming the same model as MLmodel
    JsonNode logged = j.get("logged");
    assertEquals(1, logged.size(), logged.toString());
    assertEquals("model", logged.get(0).path("artifact_path").asText());
    assertEquals(j.get("uuid").asText(), logged.get(0).path("model_uuid").asText());
    assertEquals(j.get("run").asText(), logged.get(0).path("run_id").asText());
    assertTrue(logged.get(0).path("flavors").has("cxr"), logged.toString());
    // MLflow reads the run's inputs from the file store as its own
    String digest = PreparedDataset.load(prepared).manifestSha256().substring(0, 16);
    assertEquals(
        "[\"pneumoniamnist.npz/test "
            + digest
            + " test\",\"pneumoniamnist.npz/train "
            + digest
            + " training\",\"pneumoniamnist.npz/val "
            + digest
            + " validation\"]",
        j.get("datasets").toString());
  }

  /** A run's dataset inputs as "name context", sorted; each must carry {@code digest}. */
  private static List<String> datasets(JsonNode run, String digest) {
    List<String> out = new ArrayList<>();
    for (JsonNode d : run.path("inputs").path("dataset_inputs")) {
      assertEquals(digest, d.path("dataset").path("digest").asText(), d.toString());
      assertTrue(d.path("dataset").path("profile").asText().contains("\"num_rows\""), d.toString());
      String context = "";
      for (JsonNode t : d.path("tags")) {
        if (t.path("key").asText().equals("mlflow.data.context")) {
          context = t.path("value").asText();
        }
      }
      out.add(d.path("dataset").path("name").asText() + " " + context);
    }
    return out.stream().sorted().toList();
  }

  @Test
  void unreachableServerFallsBackOrFailsWhenRequired() throws Exception {
    int dead;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      dead = s.getLocalPort();
    }
    Path work = tmp.resolve("unreachable");
    Recorder rec = new Recorder();
    MirroredTracker t =
        Tracking.open(cfg(work, "tracking.uri=http://127.0.0.1:" + dead), Map.of(), rec);
    assertEquals(null, t.remote());
    assertTrue(
        rec.lines.get(0).startsWith("WARN tracking server http://127.0.0.1:" + dead)
            && rec.lines.get(0).contains("unreachable"),
        rec.lines.toString());
    CxrException e =
        assertThrows(
            CxrException.class,
            () ->
                Tracking.open(
                    cfg(work, "tracking.uri=http://127.0.0.1:" + dead, "tracking.required=true"),
                    Map.of(),
                    rec));
    assertTrue(e.getMessage().contains("tracking.required=true"), e.getMessage());
    CxrException bad =
        assertThrows(
            CxrException.class,
            () -> Tracking.open(cfg(work, "tracking.uri=htp:/nowhere"), Map.of(), rec));
    assertTrue(bad.getMessage().contains("malformed"), bad.getMessage());
    CxrException name =
        assertThrows(CxrException.class, () -> cfg(work, "registry.name=bad name/with:chars"));
    assertTrue(name.getMessage().contains("registry.name"), name.getMessage());
  }

  @Test
  void metricsWithoutTheComparedMetricIsAnError() throws Exception {
    Path work = tmp.resolve("nometric");
    Files.createDirectories(work);
    Files.writeString(work.resolve("metrics.json"), "{\"test_auc\": 0.9}");
    Files.write(work.resolve("model.zip"), new byte[] {1});
    CxrConfig cfg = cfg(work);
    CxrException e =
        assertThrows(
            CxrException.class,
            () ->
                RegisterStage.run(
                    cfg,
                    Tracking.open(cfg, Map.of(), Reporter.SILENT),
                    work.resolve("metrics.json"),
                    work.resolve("model.zip"),
                    Reporter.SILENT));
    assertTrue(
        e.getMessage().contains("'test_f1'") && e.getMessage().contains("metrics.json"),
        e.getMessage());
  }

  @Test
  void aBearerTokenIsSentButNeverStoredOrPrinted() throws Exception {
    // MLflow's own server has no token authentication (it sits behind a proxy that checks the
    // token): a loopback HTTP server records the header instead
    String token = "tok-SECRET-4242";
    List<String> auth = new ArrayList<>();
    com.sun.net.httpserver.HttpServer fake =
        com.sun.net.httpserver.HttpServer.create(
            new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
    fake.createContext(
        "/",
        ex -> {
          auth.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
          byte[] body = "{}".getBytes();
          ex.sendResponseHeaders(
              ex.getRequestURI().getPath().contains("get-by-name") ? 500 : 200, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    fake.start();
    try {
      Path work = tmp.resolve("creds");
      String uri = "http://127.0.0.1:" + fake.getAddress().getPort();
      CxrConfig cfg = cfg(work, "tracking.uri=" + uri);
      Recorder rec = new Recorder();
      MirroredTracker t = Tracking.open(cfg, Map.of("MLFLOW_TRACKING_TOKEN", token), rec);
      TrackedRun run = t.start("creds", "r", Map.of(), null);
      run.logParams(RunInfo.params(cfg));
      run.end(RunStatus.FINISHED);
      assertTrue(auth.contains("Bearer " + token), "token sent: " + auth);
      assertFalse(String.join("\n", rec.lines).contains(token), "not printed");
      try (Stream<Path> files = Files.walk(work.resolve("mlruns"))) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          assertFalse(Files.readString(f).contains(token), "not stored: " + f);
        }
      }
    } finally {
      fake.stop(0);
    }
  }
}
