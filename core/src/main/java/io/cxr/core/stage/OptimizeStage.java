package io.cxr.core.stage;

import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.config.Objective;
import io.cxr.core.data.PreparedDataset;
import io.cxr.core.data.Split;
import io.cxr.core.eval.BinaryMetrics;
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
import io.cxr.core.tracking.ModelArtifact;
import io.cxr.core.tracking.RunInfo;
import io.cxr.core.tracking.RunSpec;
import io.cxr.core.tracking.TrackedRun;
import io.cxr.core.tracking.Tracker;
import io.cxr.core.train.Trainer;
import io.cxr.core.train.TrainingResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code cxr optimize}: Arbiter proposes candidates (random, grid or genetic), cxr's trainer runs
 * each as a trial scored on validation AUC with median pruning, and everything is recorded as one
 * parent run with a nested run per trial. The best trial's full config is written as YAML that
 * {@code cxr train --config} reproduces; {@code refit} retrains it on train + val and scores it on
 * test.
 */
public final class OptimizeStage {
  private OptimizeStage() {}

  /** The search's outcome; {@code refit} is null unless a refit was asked for. */
  public record Result(
      List<Trial> trials,
      Trial best,
      Path bestConfig,
      double seconds,
      String parentRunId,
      TrainingResult refit) {
    /** Trials stopped early by the pruner. */
    public long pruned() {
      return count(trials, TrialState.PRUNED);
    }
  }

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
    return new Search(base, configFile, baseOverrides, refit, tracker, reporter).run(resume);
  }

  /** One search: its space, data, journal and parent run. */
  static final class Search {
    private final long t0 = System.nanoTime();
    private final CxrConfig base;
    final SearchSpace space;
    final PreparedDataset data;
    private final boolean refit;
    private final Tracker tracker;
    private final Reporter reporter;
    private final Path journalFile;
    final String signature;

    Search(
        CxrConfig base,
        Path configFile,
        List<String> baseOverrides,
        boolean refit,
        Tracker tracker,
        Reporter reporter) {
      this.base = base;
      this.space = SearchSpace.of(base);
      this.data = PreparedDataset.load(Path.of(base.paths().prepared()));
      this.refit = refit;
      this.tracker = tracker;
      this.reporter = reporter;
      this.journalFile = journal(base);
      this.signature = signatureOf(base);
    }

    /**
     * A search's identity: its config with the overrides, hashed (the data is not read), without
     * what only says where a host keeps things or how many threads it uses ({@code paths}, {@code
     * tracking}, {@code hpo.output}, {@code hpo.parallel}, {@code data.workers}): the steps of one
     * search may run on hosts that keep them elsewhere.
     */
    static String signatureOf(CxrConfig base) {
      try {
        var tree =
            (com.fasterxml.jackson.databind.node.ObjectNode)
                io.cxr.core.io.Json.YAML.readTree(ConfigLoader.toYaml(base));
        tree.remove(List.of("paths", "tracking"));
        if (tree.get("hpo") instanceof com.fasterxml.jackson.databind.node.ObjectNode hpo) {
          hpo.remove(List.of("output", "parallel"));
        }
        if (tree.get("data") instanceof com.fasterxml.jackson.databind.node.ObjectNode data) {
          data.remove("workers");
        }
        return Hashing.sha256(io.cxr.core.io.Json.YAML.writeValueAsString(tree));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    /** What must hold before a search starts: its output replaceable, its objective's data. */
    void check() {
      requireReplaceable(Path.of(base.hpo().output()));
      if (base.hpo().objective() != Objective.VAL && data.externals().isEmpty()) {
        throw new CxrException(
            "hpo.objective="
                + base.hpo().objective().key()
                + ": the prepared data in "
                + data.dir()
                + " has no external set (list them in data.external, then run cxr prepare)");
      }
    }

    /** The parent run's name and tags. */
    RunSpec parentSpec() {
      String type = base.model().type().key();
      return RunSpec.of(
          base.experiment().name(),
          RunInfo.runName(base, "optimize", type),
          RunInfo.tags("optimize", type, data.manifestSha256()));
    }

    /** A trial runner under {@code parentRunId} with its own pruner. */
    TrialRunner runner(String parentRunId, MedianPruner pruner) {
      return new TrialRunner(space, base, data, pruner, tracker, parentRunId, reporter);
    }

    MedianPruner pruner() {
      CxrConfig.Hpo hpo = base.hpo();
      return new MedianPruner(
          hpo.pruning().enabled(), hpo.pruning().warmupEpochs(), hpo.pruning().minTrials());
    }

    Result run(boolean resume) {
      check();
      if (resume) {
        SearchJournal prior = SearchJournal.read(journalFile);
        return tracker.within(parentOf(prior), parent -> search(parent, prior));
      }
      if (Files.isRegularFile(journalFile)) {
        reporter.warn(
            "an unfinished search's journal ("
                + journalFile
                + ") is replaced by this new search; `cxr optimize --resume` would have continued"
                + " it");
      }
      return tracker.within(parentSpec(), parent -> search(parent, null));
    }

    /** The parent run of the killed search a journal belongs to. */
    private TrackedRun parentOf(SearchJournal prior) {
      if (!prior.signature().equals(signature)) {
        throw new CxrException(
            "--resume: the search journal "
                + journalFile
                + " is of another search (its config or overrides differ from these); give the"
                + " killed search's command line again, or start a new search without --resume");
      }
      TrackedRun resumed = tracker.resume(prior.experimentId(), prior.parentRunId());
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
      return resumed;
    }

    /** The trials, the best one chosen and recorded, the refit; {@code start} when resuming. */
    private Result search(TrackedRun parent, SearchJournal start) {
      reporter.info(describe(base.hpo(), space, parent.runId(), tracker));
      if (start == null) {
        parent.logParams(RunInfo.params(base));
      }
      return finish(parent, trials(parent, start));
    }

    /** The best trial chosen and recorded on the parent run, its config written, the refit. */
    Result finish(TrackedRun parent, List<Trial> trials) {
      Trial best =
          trials.stream()
              .filter(t -> t.state() == TrialState.COMPLETE)
              .max(Comparator.comparingDouble(Trial::score))
              .orElseThrow(
                  () ->
                      new CxrException(
                          "no trial completed (" + trials.size() + " run); nothing to choose"));
      Path out = writeBestConfig(base.hpo(), best, trials.size(), parent.runId());
      record(parent, best, trials, (System.nanoTime() - t0) / 1e9);
      Path art = base.experimentArtifacts().resolve("hpo");
      parent.logArtifact(out, "");
      for (String f : TrialReports.write(trials, space.keys(), art)) {
        parent.logArtifact(art.resolve(f), "hpo");
      }
      TrainingResult refitted = refit ? refit(best, parent) : null;
      // the search is over: nothing is left to resume
      try {
        Files.deleteIfExists(journalFile);
      } catch (IOException e) {
        reporter.warn("cannot remove the search journal " + journalFile + ": " + e.getMessage());
      }
      return new Result(
          trials, best, out, (System.nanoTime() - t0) / 1e9, parent.runId(), refitted);
    }

    /** Runs (or, resuming, finishes) the trials, journaling each as it ends. */
    private List<Trial> trials(TrackedRun parent, SearchJournal start) {
      AtomicReference<SearchJournal> journal =
          new AtomicReference<>(
              start != null
                  ? start
                  : new SearchJournal(signature, parent.experimentId(), parent.runId(), List.of()));
      journal.get().save(journalFile);
      TrialRunner runner = runner(parent.runId(), pruner());
      return TrialLoop.run(
          base.hpo(),
          Candidates.generator(base, space),
          runner,
          reporter,
          journal.get().byNumber(),
          t -> journal.updateAndGet(j -> j.with(t)).save(journalFile));
    }

    /**
     * Retrains the best config on train + val for its best epoch count; scores it on test. No
     * held-out data is left for the threshold, so it is chosen on the (now seen) validation split.
     */
    private TrainingResult refit(Trial best, TrackedRun parent) {
      int epochs = Math.max(1, best.bestEpoch());
      CxrConfig cfg =
          best.config()
              .withTrain(best.config().train().withEpochs(epochs, epochs + 1))
              .withModelsDir(Path.of(best.config().paths().models(), "refit").toString());
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
                  RunInfo.tags("optimize-refit", cfg.model().type().key(), data.manifestSha256()))
              .nestedIn(parent.runId());
      TrainingResult out =
          tracker.within(
              spec,
              run -> {
                run.logParams(RunInfo.params(cfg));
                TrainingResult r = new Trainer(cfg, reporter).fit(data.withValMergedIntoTrain());
                TrainStage.Written w = TrainStage.write(cfg, r);
                run.logMetrics(MetricMaps.rounded(r.flatMetrics()), 0);
                ModelArtifact.log(run, w.model());
                run.logArtifact(w.metrics(), "");
                return r;
              });
      BinaryMetrics test = out.split(Split.TEST);
      parent.logMetrics(
          Map.of("refit_test_auc", test.roc().auc(), "refit_test_f1", test.confusion().f1()), 0);
      return out;
    }
  }

  /** The first line of every best config cxr writes; a file without it is not replaced. */
  static final String BEST_CONFIG_HEAD = "# best of ";

  /**
   * Refuses, before the search, to replace an {@code hpo.output} file that is not a best config an
   * earlier search wrote.
   */
  static void requireReplaceable(Path out) {
    if (!Files.exists(out)) {
      return;
    }
    String first;
    try (var lines = Files.lines(out)) {
      first = lines.findFirst().orElse("");
    } catch (IOException | java.io.UncheckedIOException e) {
      first = "";
    }
    if (!Files.isRegularFile(out)
        || !first.startsWith(BEST_CONFIG_HEAD)
        || !first.contains("(cxr optimize")) {
      throw new CxrException(
          "hpo.output "
              + out
              + ": exists and is not a best config cxr optimize wrote; refusing to replace it"
              + " (set hpo.output to another file, or move it away)");
    }
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
        BEST_CONFIG_HEAD
            + trials
            + " trials (cxr optimize, parent run "
            + parentId
            + "): "
            + hpo.objective().metric()
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
    summary.put("best_" + b.config().hpo().objective().metric(), b.score());
    summary.put("trials", (double) trials.size());
    summary.put("trials_pruned", (double) count(trials, TrialState.PRUNED));
    summary.put("trials_failed", (double) count(trials, TrialState.FAILED));
    summary.put("search_seconds", seconds);
    parent.logMetrics(summary, 0);
    parent.setTags(Map.of("best_trial_run_id", b.runId(), "best_trial", "" + b.number()));
  }

  private static long count(List<Trial> trials, TrialState state) {
    return trials.stream().filter(t -> t.state() == state).count();
  }
}
