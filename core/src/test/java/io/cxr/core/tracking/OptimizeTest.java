package io.cxr.core.tracking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.data.PreparedDataset;
import io.cxr.core.hpo.Candidates;
import io.cxr.core.hpo.MedianPruner;
import io.cxr.core.hpo.SearchSpace;
import io.cxr.core.hpo.Trial;
import io.cxr.core.hpo.TrialState;
import io.cxr.core.stage.OptimizeStage;
import io.cxr.core.train.Trainer;
import io.cxr.core.train.TrainingResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.arbiter.optimize.api.CandidateGenerator;
import org.junit.jupiter.api.Test;

/** cxr optimize against the real MLflow server: nesting, best config, pruning, determinism. */
class OptimizeTest extends MlflowFixture {

  private List<String> overrides(Path work, String... more) {
    List<String> o =
        new ArrayList<>(
            List.of(
                "paths.prepared=" + prepared,
                "paths.models=" + work.resolve("models"),
                "paths.artifacts=" + work.resolve("artifacts"),
                "tracking.local_dir=" + work.resolve("mlruns"),
                "hpo.output=" + work.resolve("best.yaml"),
                "train.epochs=2",
                "hpo.pruning.min_trials=2",
                "hpo.pruning.warmup_epochs=1"));
    o.addAll(List.of(more));
    return o;
  }

  @Test
  void searchIsOneParentWithNestedTrialsAndItsBestConfigReproduces() throws Exception {
    Path work = tmp.resolve("nested");
    List<String> o =
        overrides(
            work,
            "hpo.trials=4",
            "experiment.name=hpo",
            "tracking.uri=" + server.uri(),
            "hpo.space.cnn=[{key: train.learning_rate, type: log_uniform, low: 0.0005, high: 0.003},"
                + " {key: model.cnn.filters, type: choice, values: [[8, 16], [16, 32]]}]");
    OptimizeStage.Result r = search(o);
    assertEquals(4, r.trials().size());

    JsonNode runs = server.runsOf("hpo");
    assertEquals(5, runs.size(), "1 parent + 4 trials");
    String parentId = null;
    List<JsonNode> children = new ArrayList<>();
    for (JsonNode run : runs) {
      Map<String, String> tags = kv(run.path("data").path("tags"));
      if (tags.containsKey("mlflow.parentRunId")) {
        children.add(run);
      } else {
        parentId = run.path("info").path("run_id").asText();
        assertEquals("optimize", tags.get("cxr.command"));
        assertTrue(kv(run.path("data").path("metrics")).containsKey("best_val_auc"));
      }
    }
    assertEquals(4, children.size());
    for (JsonNode child : children) {
      Map<String, String> tags = kv(child.path("data").path("tags"));
      assertEquals(parentId, tags.get("mlflow.parentRunId"));
      assertTrue(List.of("COMPLETE", "PRUNED").contains(tags.get("trial_state")), tags.toString());
      Map<String, String> params = kv(child.path("data").path("params"));
      assertTrue(
          params.containsKey("train.learning_rate") && params.containsKey("model.cnn.filters"),
          params.toString());
      assertTrue(kv(child.path("data").path("metrics")).containsKey("val_auc"));
      assertFalse(
          kv(child.path("data").path("metrics")).containsKey("test_auc"),
          "trials never look at the test split");
    }
    JsonNode parent = server.get("runs/get?run_id=" + parentId).path("run");
    byte[] csv =
        server.artifact(parent.path("info").path("artifact_uri").asText(), "hpo/trials.csv");
    assertEquals(5, new String(csv).lines().count());

    // the best config file reproduces the best trial (a trial trains one network: the file keeps
    // the configured ensemble, which the refit trains)
    CxrConfig best = ConfigLoader.load(r.bestConfig(), List.of());
    assertEquals(r.best().config(), best);
    assertEquals(3, best.train().ensemble());
    TrainingResult again =
        new Trainer(best.withEnsemble(1), Reporter.SILENT)
            .withoutTest()
            .fit(PreparedDataset.load(prepared));
    assertEquals(r.best().score(), again.flatMetrics().get("val_auc"), 5e-4);
  }

  @Test
  void aClearlyBadTrialIsPruned() {
    Path work = tmp.resolve("prune");
    // grid, sequential: two sane learning rates complete, then a diverging one
    List<String> o =
        overrides(
            work,
            "hpo.trials=3",
            "hpo.strategy=grid",
            "train.epochs=3",
            "hpo.space.cnn=[{key: train.learning_rate, type: choice, values: [0.001, 0.002, 9.0]},"
                + " {key: model.cnn.filters, type: choice, values: [[8, 16]]}]");
    OptimizeStage.Result r = search(o);
    assertEquals(TrialState.COMPLETE, r.trials().get(0).state());
    assertEquals(TrialState.COMPLETE, r.trials().get(1).state());
    assertEquals(TrialState.PRUNED, r.trials().get(2).state(), r.trials().toString());
    assertTrue(r.trials().get(2).epochs() < 3);
    // the local store marks it too
    FileStore store = new FileStore(work.resolve("mlruns"));
    long prunedRuns =
        store.runs().stream().filter(run -> "PRUNED".equals(run.tags().get("trial_state"))).count();
    assertEquals(1, prunedRuns);
  }

  @Test
  void trialsRunInParallel() {
    Path work = tmp.resolve("parallel");
    List<String> o =
        overrides(
            work,
            "hpo.trials=3",
            "hpo.parallel=2",
            "train.epochs=1",
            "hpo.space.cnn=[{key: train.learning_rate, type: log_uniform, low: 0.0005, high: 0.003},"
                + " {key: model.cnn.filters, type: choice, values: [[8, 16]]}]");
    OptimizeStage.Result r = search(o);
    assertEquals(List.of(1, 2, 3), r.trials().stream().map(Trial::number).toList());
    List<FileStore.StoredRun> runs = new FileStore(work.resolve("mlruns")).runs();
    assertEquals(4, runs.size(), "parent + 3 trials");
    FileStore.StoredRun one = trialRun(runs, "trial-01");
    FileStore.StoredRun two = trialRun(runs, "trial-02");
    // with two at once, trials 1 and 2 start together: their runs overlap in time
    assertTrue(
        one.startTime() < two.endTime() && two.startTime() < one.endTime(),
        "trial 1 ran "
            + one.startTime()
            + ".."
            + one.endTime()
            + ", trial 2 "
            + two.startTime()
            + ".."
            + two.endTime());
  }

  @Test
  void noTrialStartsAfterMaxMinutes() {
    Path work = tmp.resolve("max-minutes");
    // 0.001 min = 60 ms: the first trial starts, and by its end the time is up
    List<String> o =
        overrides(
            work,
            "hpo.trials=5",
            "hpo.max_minutes=0.001",
            "train.epochs=1",
            "hpo.space.cnn=[{key: model.cnn.filters, type: choice, values: [[8]]}]");
    OptimizeStage.Result r = search(o);
    assertEquals(1, r.trials().size(), "one trial of 5, then no further");
    assertEquals(
        2, new FileStore(work.resolve("mlruns")).runs().size(), "the parent and its one trial");
  }

  private static FileStore.StoredRun trialRun(List<FileStore.StoredRun> runs, String name) {
    return runs.stream().filter(r -> name.equals(r.runName())).findFirst().orElseThrow();
  }

  @Test
  void medianRule() {
    MedianPruner p = new MedianPruner(true, 2, 2);
    p.complete(new double[] {0.80, 0.90, 0.92});
    assertFalse(p.shouldPrune(2, 0.1), "needs min_trials completed");
    p.complete(new double[] {0.70, 0.94});
    assertFalse(p.shouldPrune(1, 0.1), "warm-up");
    assertTrue(p.shouldPrune(2, 0.91));
    assertFalse(p.shouldPrune(2, 0.93));
    assertTrue(p.shouldPrune(3, 0.92), "a short trial keeps its last value: median 0.93");
    assertFalse(new MedianPruner(false, 1, 1).shouldPrune(5, 0));
  }

  @Test
  void sameSeedSameCandidates() {
    for (String strategy : List.of("random", "genetic", "grid")) {
      List<String> o = overrides(tmp.resolve("det"), "hpo.strategy=" + strategy);
      CxrConfig a = ConfigLoader.load(null, o);
      List<Object> first = candidates(a, o, 5);
      assertEquals(first, candidates(a, o, 5), strategy);
      if (!strategy.equals("grid")) {
        List<String> o2 = new ArrayList<>(o);
        o2.add("seed=7");
        assertNotEquals(first, candidates(ConfigLoader.load(null, o2), o2, 5), strategy);
      }
    }
  }

  private static List<Object> candidates(CxrConfig cfg, List<String> o, int n) {
    CandidateGenerator g = Candidates.generator(cfg, SearchSpace.of(cfg));
    List<Object> out = new ArrayList<>();
    for (int i = 0; i < n && g.hasMoreCandidates(); i++) {
      out.add(g.getCandidate().getValue());
    }
    return out;
  }

  @Test
  void badSearchInputIsAOneLineErrorBeforeAnyTraining() {
    Path work = tmp.resolve("bad");
    Map<String, String> cases = new HashMap<>();
    cases.put(
        "hpo.space.cnn=[{key: train.learning_rate, type: uniform, low: 0.01, high: 0.01}]",
        "empty or inverted range");
    cases.put(
        "hpo.space.cnn=[{key: train.learning_rate, type: log_uniform, low: 0.1, high: 0.01}]",
        "empty or inverted range");
    cases.put(
        "hpo.space.cnn=[{key: train.learnign_rate, type: uniform, low: 0.001, high: 0.01}]",
        "train.learnign_rate");
    cases.put(
        "hpo.space.cnn=[{key: model.cnn.dropout, type: gaussian, low: 0, high: 1}]",
        "unknown type 'gaussian'");
    cases.put("hpo.strategy=bayesian", "hpo.strategy");
    cases.put("hpo.trials=0", "hpo.trials");
    for (var e : cases.entrySet()) {
      List<String> o = overrides(work, e.getKey());
      CxrException ex = assertThrows(CxrException.class, () -> search(o), e.getKey());
      assertTrue(ex.getMessage().contains(e.getValue()), e.getKey() + ": " + ex.getMessage());
      assertFalse(ex.getMessage().contains("\n"));
    }
    assertEquals(0, new FileStore(work.resolve("mlruns")).runs().size(), "no run was started");
  }

  /** Runs a search with these overrides, tracked where they say. */
  private static OptimizeStage.Result search(List<String> o) {
    CxrConfig cfg = ConfigLoader.load(null, o);
    return OptimizeStage.run(
        cfg, null, o, false, Tracking.open(cfg, Map.of(), Reporter.SILENT), Reporter.SILENT);
  }

  private static Map<String, String> kv(JsonNode list) {
    return MlflowServer.kv(list);
  }
}
