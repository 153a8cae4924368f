package io.cxr.core.tracking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.hpo.SearchSpace;
import io.cxr.core.hpo.Trial;
import io.cxr.core.hpo.TrialState;
import io.cxr.core.stage.FannedOutSearch;
import io.cxr.core.stage.OptimizeStage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A search fanned out as plan, trials (each in a fresh tracker, as separate processes would be) and
 * select, against the real MLflow server: the same candidates, best trial and score as the local
 * search of the same seed; a worker that died mid-trial leaves a run that select ends FAILED and
 * does not count.
 */
class FannedOutSearchTest extends MlflowFixture {
  private static final String SPACE =
      "hpo.space.cnn=[{key: train.learning_rate, type: log_uniform, low: 0.0005, high: 0.003},"
          + " {key: model.cnn.filters, type: choice, values: [[8, 16], [16, 32]]}]";

  private List<String> overrides(Path work, String experiment, String... more) {
    List<String> o =
        new ArrayList<>(
            List.of(
                "paths.prepared=" + prepared,
                "paths.models=" + work.resolve("models"),
                "paths.artifacts=" + work.resolve("artifacts"),
                "tracking.local_dir=" + work.resolve("mlruns"),
                "tracking.uri=" + server.uri(),
                "hpo.output=" + work.resolve("best.yaml"),
                "experiment.name=" + experiment,
                "train.epochs=2",
                "hpo.trials=4",
                "hpo.pruning.enabled=false",
                SPACE));
    o.addAll(List.of(more));
    return o;
  }

  private static Tracker tracker(CxrConfig cfg) {
    return Tracking.open(cfg, Map.of(), Reporter.SILENT);
  }

  @Test
  void aTrialWhoseTrainingCollapsesEndsFailedAndTheSearchGoesOn() throws Exception {
    // plain SGD at a learning rate of 9 drives the network to one constant output (the collapse
    // cxr train stops with exit 4); at 0.01 it trains
    List<String> fo =
        overrides(
            tmp.resolve("collapse"),
            "fan-collapse",
            "hpo.strategy=grid",
            "hpo.trials=2",
            "train.optimizer=sgd",
            "train.epochs=4",
            "train.early_stopping.patience=8",
            "hpo.space.cnn=[{key: train.learning_rate, type: choice, values: [0.01, 9.0]}]");
    CxrConfig fc = ConfigLoader.load(null, fo);
    FannedOutSearch.Plan plan = FannedOutSearch.plan(fc, null, fo, tracker(fc), Reporter.SILENT);
    assertEquals(2, plan.trials().size());
    int diverging =
        plan.trials().stream()
            .filter(p -> p.params().get("train.learning_rate").startsWith("9"))
            .findFirst()
            .orElseThrow()
            .number();
    Map<Integer, Trial> ran = new HashMap<>();
    for (int n = 1; n <= 2; n++) {
      // the step returns (the task succeeds): the search goes on
      ran.put(n, FannedOutSearch.trial(fc, null, fo, n, tracker(fc), Reporter.SILENT));
    }
    assertEquals(TrialState.FAILED, ran.get(diverging).state(), ran.toString());
    assertEquals(TrialState.COMPLETE, ran.get(3 - diverging).state(), ran.toString());

    OptimizeStage.Result r =
        FannedOutSearch.select(fc, null, fo, false, tracker(fc), Reporter.SILENT);
    assertEquals(2, r.trials().size());
    assertEquals(3 - diverging, r.best().number());
    JsonNode runs = server.runsOf("fan-collapse");
    assertEquals(3, runs.size(), "1 parent + 2 trials");
    for (JsonNode run : runs) {
      Map<String, String> t = MlflowServer.kv(run.path("data").path("tags"));
      String status = run.path("info").path("status").asText();
      if (!t.containsKey("mlflow.parentRunId")) {
        assertEquals("FINISHED", status);
        Map<String, String> m = MlflowServer.kv(run.path("data").path("metrics"));
        assertEquals(2.0, Double.parseDouble(m.get("trials")));
        assertEquals(1.0, Double.parseDouble(m.get("trials_failed")));
        assertEquals("" + (3 - diverging), t.get("best_trial"));
      } else if (t.get("trial").equals("" + diverging)) {
        assertEquals("FAILED", status);
        assertEquals("FAILED", t.get("trial_state"));
      } else {
        assertEquals("FINISHED", status);
      }
    }
  }

  @Test
  void theFannedOutSearchFindsWhatTheLocalSearchFindsAndADeadWorkerCountsOnce() throws Exception {
    List<String> lo = overrides(tmp.resolve("local"), "fan-local");
    CxrConfig lc = ConfigLoader.load(null, lo);
    OptimizeStage.Result local =
        OptimizeStage.run(lc, null, lo, false, tracker(lc), Reporter.SILENT);

    List<String> fo = overrides(tmp.resolve("fan"), "fan-out");
    CxrConfig fc = ConfigLoader.load(null, fo);
    FannedOutSearch.Plan plan = FannedOutSearch.plan(fc, null, fo, tracker(fc), Reporter.SILENT);
    assertEquals(4, plan.trials().size());
    for (int i = 0; i < 4; i++) {
      assertEquals(flow(local.trials().get(i).params()), plan.trials().get(i).params());
    }
    assertTrue(plan.summaryJson().contains("\"trials\":[1,2,3,4]"), plan.summaryJson());
    assertTrue(plan.summaryJson().contains(plan.parentRemoteRunId()), plan.summaryJson());

    // a worker killed in trial 2: its nested run stays RUNNING, without a record
    Tracker dying = tracker(fc);
    Map<String, String> tags = new LinkedHashMap<>(Map.of("trial", "2"));
    TrackedRun deadRun = dying.start("fan-out", "trial-02", tags, plan.parentRunId());
    deadRun.logMetric("epoch_val_auc", 0.5, 1);
    deadRun.detach("the test's stand-in for a killed worker");

    List<Trial> ran = new ArrayList<>();
    for (int n = 1; n <= 4; n++) {
      ran.add(FannedOutSearch.trial(fc, null, fo, n, tracker(fc), Reporter.SILENT));
    }
    ran.forEach(t -> assertEquals(TrialState.COMPLETE, t.state(), t.toString()));

    OptimizeStage.Result r =
        FannedOutSearch.select(fc, null, fo, false, tracker(fc), Reporter.SILENT);
    assertEquals(4, r.trials().size(), "each trial once");
    assertEquals(local.best().number(), r.best().number());
    assertEquals(local.best().score(), r.best().score(), 5e-4);
    assertEquals(flow(local.best().params()), flow(r.best().params()));
    for (int i = 0; i < 4; i++) {
      assertEquals(ran.get(i).score(), r.trials().get(i).score(), 0.0);
    }
    CxrConfig best = ConfigLoader.load(r.bestConfig(), List.of());
    assertEquals(r.best().config(), best);

    // on the server: the parent FINISHED with its summary; 4 finished trials and the dead one
    // FAILED
    JsonNode runs = server.runsOf("fan-out");
    assertEquals(6, runs.size(), "1 parent + 4 trials + 1 dead attempt");
    Map<String, Integer> statuses = new HashMap<>();
    for (JsonNode run : runs) {
      Map<String, String> t = MlflowServer.kv(run.path("data").path("tags"));
      String status = run.path("info").path("status").asText();
      if (!t.containsKey("mlflow.parentRunId")) {
        assertEquals(plan.parentRemoteRunId(), run.path("info").path("run_id").asText());
        assertEquals("FINISHED", status);
        Map<String, String> m = MlflowServer.kv(run.path("data").path("metrics"));
        assertEquals(4.0, Double.parseDouble(m.get("trials")));
        assertEquals(1.0, Double.parseDouble(m.get("trial_runs_dead")));
        assertEquals(0.0, Double.parseDouble(m.get("trials_failed")));
        continue;
      }
      assertEquals(plan.parentRemoteRunId(), t.get("mlflow.parentRunId"));
      statuses.merge(status, 1, Integer::sum);
      if ("FAILED".equals(status)) {
        assertEquals("2", t.get("trial"));
        assertTrue(t.containsKey(RunJanitor.RECOVERED), t.toString());
      }
    }
    assertEquals(Map.of("FINISHED", 4, "FAILED", 1), statuses);

    // the search has ended: selecting again is refused, in one line
    CxrException again =
        assertThrows(
            CxrException.class,
            () -> FannedOutSearch.select(fc, null, fo, false, tracker(fc), Reporter.SILENT));
    assertTrue(
        again.getMessage().startsWith("--select: the search's parent run ")
            && again.getMessage().contains("has finished (this search was selected before)"),
        again.getMessage());
  }

  /** The overrides of a host of its own: its own store, folders and (absent) prepared data. */
  private List<String> host(String name, String experiment) {
    Path work = tmp.resolve(name);
    List<String> o = overrides(work, experiment);
    o.set(0, "paths.prepared=" + work.resolve("prepared"));
    return o;
  }

  @Test
  void trialsOnHostsThatNeverSawThePlanAdoptItAndPullTheDataFromTheServer() throws Exception {
    List<String> planner = overrides(tmp.resolve("planner"), "fan-hosts");
    CxrConfig pc = ConfigLoader.load(null, planner);
    FannedOutSearch.Plan plan =
        FannedOutSearch.plan(pc, null, planner, tracker(pc), Reporter.SILENT);
    String data = io.cxr.core.io.Hashing.sha256(prepared.resolve("manifest.json"));
    assertEquals(data, plan.dataManifestSha256());

    // trials 1-2 on host b, 3-4 on host c, select on host d: none has the plan, the parent run
    // or the data; only the server is shared
    Map<Integer, Trial> ran = new HashMap<>();
    for (int n = 1; n <= 4; n++) {
      List<String> o = host(n <= 2 ? "b" : "c", "fan-hosts");
      CxrConfig c = ConfigLoader.load(null, o);
      ran.put(n, FannedOutSearch.trial(c, null, o, n, tracker(c), Reporter.SILENT));
      assertEquals(TrialState.COMPLETE, ran.get(n).state(), ran.toString());
    }
    for (String h : List.of("b", "c")) {
      Path pulled = tmp.resolve(h).resolve("prepared").resolve("manifest.json");
      assertEquals(data, io.cxr.core.io.Hashing.sha256(pulled), h);
      assertTrue(
          java.nio.file.Files.isRegularFile(
              tmp.resolve(h).resolve("prepared").resolve("x_train.npy")),
          h);
    }
    List<String> d = host("d", "fan-hosts");
    CxrConfig dc = ConfigLoader.load(null, d);
    OptimizeStage.Result r =
        FannedOutSearch.select(dc, null, d, false, tracker(dc), Reporter.SILENT);
    assertEquals(4, r.trials().size());
    Trial best =
        ran.values().stream().max(java.util.Comparator.comparingDouble(Trial::score)).orElseThrow();
    assertEquals(best.number(), r.best().number());
    assertEquals(best.score(), r.best().score(), 0.0);

    JsonNode runs = server.runsOf("fan-hosts");
    assertEquals(5, runs.size(), "1 parent + 4 trials, no stand-in of the parent");
    List<String> children = new ArrayList<>();
    for (JsonNode run : runs) {
      Map<String, String> t = MlflowServer.kv(run.path("data").path("tags"));
      assertEquals("FINISHED", run.path("info").path("status").asText(), t.toString());
      if (t.containsKey("mlflow.parentRunId")) {
        assertEquals(plan.parentRemoteRunId(), t.get("mlflow.parentRunId"));
        children.add(run.path("info").path("run_id").asText());
      } else {
        assertEquals(plan.parentRemoteRunId(), run.path("info").path("run_id").asText());
        Map<String, String> m = MlflowServer.kv(run.path("data").path("metrics"));
        assertEquals(4.0, Double.parseDouble(m.get("trials")));
        assertEquals("" + best.number(), t.get("best_trial"));
        assertTrue(!t.containsKey(MirroredTracker.ADOPTED), t.toString());
      }
    }
    assertEquals(4, children.size());
    String bestRun =
        MlflowServer.kv(
                server
                    .get("runs/get?run_id=" + plan.parentRemoteRunId())
                    .path("run")
                    .path("data")
                    .path("tags"))
            .get("best_trial_run_id");
    assertTrue(children.contains(bestRun), bestRun + " among " + children);

    // host b's stand-in of the parent is that run on the server: a sync creates no other
    List<String> b = host("b", "fan-hosts");
    CxrConfig bc = ConfigLoader.load(null, b);
    try (MlflowRemote remote = MlflowRemote.of(server.uri(), Map.of())) {
      RunSync.sync(new FileStore(Path.of(bc.tracking().localDir())), remote, Reporter.SILENT);
    }
    assertEquals(5, server.runsOf("fan-hosts").size());
  }

  @Test
  void whatCannotBePlannedOrRunIsRefusedInOneLine() {
    Path work = tmp.resolve("refused");
    List<String> genetic = overrides(work, "fan-refused", "hpo.strategy=genetic");
    CxrConfig gc = ConfigLoader.load(null, genetic);
    CxrException g =
        assertThrows(
            CxrException.class,
            () -> FannedOutSearch.plan(gc, null, genetic, tracker(gc), Reporter.SILENT));
    assertTrue(g.getMessage().startsWith("hpo.strategy=genetic"), g.getMessage());

    List<String> o = overrides(work, "fan-refused");
    CxrConfig c = ConfigLoader.load(null, o);
    CxrException none =
        assertThrows(
            CxrException.class,
            () -> FannedOutSearch.trial(c, null, o, 1, tracker(c), Reporter.SILENT));
    assertTrue(none.getMessage().startsWith("no search plan at "), none.getMessage());

    FannedOutSearch.plan(c, null, o, tracker(c), Reporter.SILENT);
    CxrException outside =
        assertThrows(
            CxrException.class,
            () -> FannedOutSearch.trial(c, null, o, 9, tracker(c), Reporter.SILENT));
    assertTrue(outside.getMessage().contains("has trials 1 to 4"), outside.getMessage());

    List<String> other = new ArrayList<>(o);
    other.add("seed=7");
    CxrConfig oc = ConfigLoader.load(null, other);
    CxrException mismatch =
        assertThrows(
            CxrException.class,
            () -> FannedOutSearch.trial(oc, null, other, 1, tracker(oc), Reporter.SILENT));
    assertTrue(mismatch.getMessage().contains("is of another search"), mismatch.getMessage());
  }

  private static Map<String, String> flow(Map<String, Object> params) {
    Map<String, String> m = new LinkedHashMap<>();
    params.forEach((k, v) -> m.put(k, SearchSpace.flow(v)));
    return m;
  }
}
