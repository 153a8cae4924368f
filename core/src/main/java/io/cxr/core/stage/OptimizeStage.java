package io.cxr.core.stage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.data.PreparedDataset;
import io.cxr.core.eval.MetricMaps;
import io.cxr.core.hpo.Candidates;
import io.cxr.core.hpo.MedianPruner;
import io.cxr.core.hpo.SearchJournal;
import io.cxr.core.hpo.SearchSpace;
import io.cxr.core.hpo.Trial;
import io.cxr.core.hpo.TrialLoop;
import io.cxr.core.hpo.TrialReports;
import io.cxr.core.hpo.TrialRunner;
import io.cxr.core.hpo.TrialState;
import io.cxr.core.io.AtomicFiles;
import io.cxr.core.io.Hashing;
import io.cxr.core.io.Json;
import io.cxr.core.tracking.RunInfo;
import io.cxr.core.tracking.RunSpec;
import io.cxr.core.tracking.TrackedRun;
import io.cxr.core.tracking.Tracker;
import io.cxr.core.train.Trainer;
import io.cxr.core.train.TrainingListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * {@code cxr optimize}: Arbiter proposes candidates (random, grid or genetic), cxr's trainer runs
 * each as a trial scored on validation AUC with median pruning, and everything is recorded as one
 * parent run with a nested run per trial. The best trial's full config is written as YAML that
 * {@code cxr train --config} reproduces; {@code refit} retrains it on train + val and scores it on
 * test.
 */
public final class OptimizeStage {
  private OptimizeStage() {}

  /** The search's outcome. */
  public record Result(
      List<Trial> trials,
      Trial best,
      Path bestConfig,
      double seconds,
      String parentRunId,
      Map<String, Double> refitMetrics) {}

  public static Result run(
      CxrConfig base,
      Path configFile,
      List<String> baseOverrides,
      boolean refit,
      Tracker tracker,
      Reporter reporter) {
    return run(base, configFile, baseOverrides, refit, false, tracker, reporter);
  }

  /**
   * Runs a search; with {@code resume}, continues the one a killed process left (its journal in
   * {@link #journal}): same parent run, finished trials taken from the journal, not re-run.
   */
  public static Result run(
      CxrConfig base,
      Path configFile,
      List<String> baseOverrides,
      boolean refit,
      boolean resume,
      Tracker tracker,
      Reporter reporter) {
    long t0 = System.nanoTime();
    SearchSpace space = SearchSpace.of(base, baseOverrides, configFile);
    PreparedDataset data = PreparedDataset.load(Path.of(base.paths().prepared()));
    if (!"val".equals(base.hpo().objective()) && data.externals().isEmpty()) {
      throw new CxrException(
          "hpo.objective="
              + base.hpo().objective()
              + ": the prepared data in "
              + data.dir()
              + " has no external set (list them in data.external, then run cxr prepare)");
    }
    String type = base.model().type();
    Path journalFile = journal(base);
    String signature = Hashing.sha256(ConfigLoader.toYaml(base));
    SearchJournal prior = null;
    TrackedRun resumed = null;
    if (resume) {
      prior = SearchJournal.read(journalFile);
      if (!prior.signature().equals(signature)) {
        throw new CxrException(
            "--resume: the search journal "
                + journalFile
                + " is of another search (its config or overrides differ from these); give the"
                + " killed search's command line again, or start a new search without --resume");
      }
      resumed = tracker.resume(prior.experimentId(), prior.parentRunId());
      if (resumed == null) {
        throw new CxrException(
            "--resume: the search's parent run "
                + prior.parentRunId()
                + " is not in "
                + tracker.describe()
                + " (was tracking.local_dir changed?)");
      }
      reporter.info(
          "resuming the search of parent run "
              + prior.parentRunId()
              + ": "
              + prior.trials().size()
              + " finished trial(s) from "
              + journalFile);
    } else if (Files.isRegularFile(journalFile)) {
      reporter.warn(
          "an unfinished search's journal ("
              + journalFile
              + ") is replaced by this new search; `cxr optimize --resume` would have continued it");
    }
    SearchJournal start = prior;
    Function<TrackedRun, Result> body =
        parent -> {
          reporter.info(describe(base.hpo(), space, parent.runId(), tracker));
          if (start == null) {
            parent.logParams(RunInfo.params(base));
          }
          AtomicReference<SearchJournal> journal =
              new AtomicReference<>(
                  start != null
                      ? start
                      : new SearchJournal(
                          signature, parent.experimentId(), parent.runId(), List.of()));
          journal.get().save(journalFile);
          CxrConfig.Hpo hpo = base.hpo();
          MedianPruner pruner =
              new MedianPruner(
                  hpo.pruning().enabled(), hpo.pruning().warmupEpochs(), hpo.pruning().minTrials());
          TrialRunner runner =
              new TrialRunner(
                  space,
                  configFile,
                  baseOverrides,
                  data,
                  pruner,
                  tracker,
                  parent.runId(),
                  reporter);
          List<Trial> trials =
              TrialLoop.run(
                  hpo,
                  Candidates.generator(base, space),
                  runner,
                  reporter,
                  journal.get().byNumber(),
                  t -> journal.updateAndGet(j -> j.with(t)).save(journalFile));
          Trial best =
              trials.stream()
                  .filter(t -> t.state() == TrialState.COMPLETE)
                  .max(Comparator.comparingDouble(Trial::score))
                  .orElseThrow(
                      () ->
                          new CxrException(
                              "no trial completed (" + trials.size() + " run); nothing to choose"));
          Path out = writeBestConfig(hpo, best, trials.size(), parent.runId());
          record(parent, best, trials, (System.nanoTime() - t0) / 1e9);
          Path art = base.experimentArtifacts().resolve("hpo");
          parent.logArtifact(out, "");
          for (String f : TrialReports.write(trials, space.keys(), art)) {
            parent.logArtifact(art.resolve(f), "hpo");
          }
          Map<String, Double> refitMetrics = null;
          if (refit) {
            refitMetrics = refit(best, data, tracker, parent.runId(), reporter);
            parent.logMetrics(
                Map.of(
                    "refit_test_auc", refitMetrics.get("test_auc"),
                    "refit_test_f1", refitMetrics.get("test_f1")),
                0);
          }
          // the search is over: nothing is left to resume
          try {
            Files.deleteIfExists(journalFile);
          } catch (java.io.IOException e) {
            reporter.warn(
                "cannot remove the search journal " + journalFile + ": " + e.getMessage());
          }
          return new Result(
              trials, best, out, (System.nanoTime() - t0) / 1e9, parent.runId(), refitMetrics);
        };
    if (resumed != null) {
      return tracker.within(resumed, body);
    }
    RunSpec spec =
        RunSpec.of(
            base.experiment().name(),
            RunInfo.runName(base, "optimize", type),
            RunInfo.tags("optimize", type, data.manifestSha256()));
    return tracker.within(spec, body);
  }

  /** Where a search keeps its journal (for {@code --resume}) while it runs. */
  public static Path journal(CxrConfig base) {
    return base.experimentArtifacts().resolve("hpo").resolve("journal.json");
  }

  private static String describe(
      CxrConfig.Hpo hpo, SearchSpace space, String parentRunId, Tracker tracker) {
    return String.format(
        Locale.ROOT,
        "search: %s over %s, %d trials%s, pruning %s; parent run %s in %s",
        hpo.strategy(),
        String.join(", ", space.keys()),
        hpo.trials(),
        hpo.maxMinutes() > 0 ? " or " + hpo.maxMinutes() + " min" : "",
        hpo.pruning().enabled() ? "on" : "off",
        parentRunId,
        tracker.describe());
  }

  private static Path writeBestConfig(CxrConfig.Hpo hpo, Trial b, int trials, String parentId) {
    Path out = Path.of(hpo.output());
    AtomicFiles.writeString(
        out,
        "# best of "
            + trials
            + " trials (cxr optimize, parent run "
            + parentId
            + "): "
            + io.cxr.core.hpo.Objective.of(hpo.objective()).metric()
            + " "
            + String.format(Locale.ROOT, "%.6f", b.score())
            + "\n# reproduce: cxr train --config "
            + out
            + "\n"
            + ConfigLoader.toYaml(b.config()));
    return out;
  }

  /** The parent run's summary: the best trial's params as best.*, counts and the search time. */
  private static void record(TrackedRun parent, Trial b, List<Trial> trials, double seconds) {
    Map<String, String> bestParams = new LinkedHashMap<>();
    b.params().forEach((k, v) -> bestParams.put("best." + k, SearchSpace.flow(v)));
    parent.logParams(bestParams);
    Map<String, Double> summary = new LinkedHashMap<>();
    summary.put(
        "best_" + io.cxr.core.hpo.Objective.of(b.config().hpo().objective()).metric(), b.score());
    summary.put("trials", (double) trials.size());
    summary.put("trials_pruned", (double) count(trials, TrialState.PRUNED));
    summary.put("trials_failed", (double) count(trials, TrialState.FAILED));
    summary.put("search_seconds", seconds);
    parent.logMetrics(summary, 0);
    parent.setTags(Map.of("best_trial_run_id", b.runId(), "best_trial", "" + b.number()));
  }

  /**
   * Retrains the best config on train + val for its best epoch count; scores it on test. No
   * held-out data is left for the threshold, so it is chosen on the (now seen) validation split.
   */
  private static Map<String, Double> refit(
      Trial best, PreparedDataset data, Tracker tracker, String parentId, Reporter reporter) {
    int epochs = Math.max(1, best.bestEpoch());
    List<String> o = new ArrayList<>();
    o.add("train.epochs=" + epochs);
    o.add("train.early_stopping.patience=" + (epochs + 1));
    o.add("paths.models=" + Path.of(best.config().paths().models(), "refit"));
    CxrConfig cfg =
        ConfigLoader.bind(overrideTree(best.config(), o), "refit of trial " + best.number());
    reporter.info(
        "refit: trial "
            + best.number()
            + "'s config on train + val for "
            + epochs
            + " epochs, threshold "
            + String.format(Locale.ROOT, "%.4f", best.threshold())
            + " from its validation");
    RunSpec spec =
        RunSpec.of(
                cfg.experiment().name(),
                "refit",
                RunInfo.tags("optimize-refit", cfg.model().type(), data.manifestSha256()))
            .nestedIn(parentId);
    return tracker.within(
        spec,
        run -> {
          run.logParams(RunInfo.params(cfg));
          Trainer.Outcome out =
              Trainer.train(
                  cfg, data.withValMergedIntoTrain(), new TrainingListener() {}, reporter);
          TrainStage.Written w = TrainStage.write(cfg, out);
          run.logMetrics(MetricMaps.rounded(out.metrics()), 0);
          run.logArtifact(w.model(), "model");
          run.logArtifact(w.metrics(), "");
          return out.metrics();
        });
  }

  private static JsonNode overrideTree(CxrConfig cfg, List<String> overrides) {
    try {
      ObjectNode tree = (ObjectNode) Json.YAML.readTree(ConfigLoader.toYaml(cfg));
      for (String o : overrides) {
        ConfigLoader.applyOverride(tree, o);
      }
      return tree;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long count(List<Trial> trials, TrialState state) {
    return trials.stream().filter(t -> t.state() == state).count();
  }
}
