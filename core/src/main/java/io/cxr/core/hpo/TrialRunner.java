package io.cxr.core.hpo;

import io.cxr.core.Reporter;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.config.Objective;
import io.cxr.core.data.PreparedDataset;
import io.cxr.core.data.Split;
import io.cxr.core.eval.BinaryMetrics;
import io.cxr.core.eval.EpochRecord;
import io.cxr.core.tracking.RunInfo;
import io.cxr.core.tracking.RunSpec;
import io.cxr.core.tracking.RunStatus;
import io.cxr.core.tracking.TrackedRun;
import io.cxr.core.tracking.Tracker;
import io.cxr.core.train.EpochMetricsLogger;
import io.cxr.core.train.Trainer;
import io.cxr.core.train.TrainingListener;
import io.cxr.core.train.TrainingResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs one search trial as a nested run: cxr's trainer with the sampled values, scored on the
 * validation split only (never test), stopped by the pruner; a failed trial is recorded, not
 * thrown.
 */
public final class TrialRunner {
  private final SearchSpace space;
  private final CxrConfig base;
  private final PreparedDataset data;
  private final MedianPruner pruner;
  private final Tracker tracker;
  private final String parentRunId;
  private final Reporter reporter;

  /**
   * @param base the search's resolved config; a trial's is this with the sampled values
   */
  public TrialRunner(
      SearchSpace space,
      CxrConfig base,
      PreparedDataset data,
      MedianPruner pruner,
      Tracker tracker,
      String parentRunId,
      Reporter reporter) {
    this.space = space;
    this.base = base;
    this.data = data;
    this.pruner = pruner;
    this.tracker = tracker;
    this.parentRunId = parentRunId;
    this.reporter = reporter;
  }

  /** Thrown by the pruning listener to stop a trial. */
  static final class Pruned extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int epoch;

    Pruned(int epoch) {
      super("pruned at epoch " + epoch, null, false, false);
      this.epoch = epoch;
    }
  }

  /**
   * A trial a killed search finished, from its journal: the same params must come back from the
   * seeded generator (else the search changed and cannot be resumed); a completed trial's curve
   * goes back to the pruner.
   */
  public Trial replayed(int number, Map<String, Object> sample, SearchJournal.Entry e) {
    Map<String, String> now = new LinkedHashMap<>();
    sample.forEach((k, v) -> now.put(k, SearchSpace.flow(v)));
    if (!now.equals(e.params())) {
      throw new io.cxr.core.CxrException(
          "--resume: trial "
              + number
              + " ran with "
              + e.params()
              + " but the search now proposes "
              + now
              + " (the search changed; start a new one without --resume)");
    }
    if (e.state() == TrialState.COMPLETE) {
      pruner.complete(e.curve());
    }
    return new Trial(
        number,
        sample,
        e.state(),
        e.score(),
        e.epochs(),
        e.bestEpoch(),
        e.threshold(),
        e.seconds(),
        e.runId(),
        space.trialConfig(base, sample),
        e.curve());
  }

  public Trial run(int number, Map<String, Object> sample) {
    long t0 = System.nanoTime();
    CxrConfig cfg = space.trialConfig(base, sample);
    Map<String, String> tags =
        new LinkedHashMap<>(
            RunInfo.tags("optimize-trial", cfg.model().type().key(), data.manifestSha256()));
    tags.put("trial", Integer.toString(number));
    RunSpec spec =
        RunSpec.of(cfg.experiment().name(), String.format(Locale.ROOT, "trial-%02d", number), tags)
            .nestedIn(parentRunId);
    return tracker.within(spec, run -> trial(run, number, sample, cfg, t0));
  }

  private Trial trial(
      TrackedRun run, int number, Map<String, Object> sample, CxrConfig cfg, long t0) {
    Map<String, String> params = new LinkedHashMap<>();
    sample.forEach((k, v) -> params.put(k, SearchSpace.flow(v)));
    params.put("trial", Integer.toString(number));
    run.logParams(params);
    Objective objective = cfg.hpo().objective();
    PruningListener pruning = new PruningListener(objective, pruner);
    TrainingListener listener =
        TrainingListener.all(new EpochMetricsLogger(run, EpochMetricsLogger.TRIAL_KEYS), pruning);
    Ending end;
    try {
      // a trial scores a configuration with one network; the refit trains the configured ensemble
      TrainingResult r =
          new Trainer(cfg.withEnsemble(1), Reporter.SILENT, listener).withoutTest().fit(data);
      double score =
          objective.pick(
              r.split(Split.VAL).roc().auc(),
              r.pooledExternal().map(e -> e.metrics().roc().auc()).orElse(Double.NaN));
      pruner.complete(pruning.curve());
      run.logMetrics(results(r, objective, score), 0);
      run.setTags(Map.of("trial_state", TrialState.COMPLETE.name()));
      end = new Ending(TrialState.COMPLETE, score, r.bestEpoch(), r.threshold());
    } catch (Pruned p) {
      double score = pruning.best();
      run.logMetrics(Map.of(objective.metric(), score), 0);
      run.setTags(Map.of("trial_state", TrialState.PRUNED.name(), "pruned_at_epoch", "" + p.epoch));
      end = new Ending(TrialState.PRUNED, score, 0, Double.NaN);
    } catch (RuntimeException e) {
      reporter.warn("trial " + number + " failed: " + e.getMessage());
      run.setTags(Map.of("trial_state", TrialState.FAILED.name()));
      end = new Ending(TrialState.FAILED, 0, 0, Double.NaN);
    }
    double[] curve = pruning.curve();
    Trial t =
        new Trial(
            number,
            sample,
            end.state(),
            end.score(),
            curve.length,
            end.bestEpoch(),
            end.threshold(),
            seconds(t0),
            run.runId(),
            cfg,
            curve);
    logRecord(run, t);
    if (end.state() == TrialState.FAILED) {
      run.end(RunStatus.FAILED);
    }
    return t;
  }

  /** The artifact that holds a trial's outcome for a fanned-out search's later steps. */
  public static final String RECORD = "trial.json";

  /**
   * Logs the trial's outcome (params, state, score, curve) as {@value #RECORD} on its run: what a
   * fanned-out search's {@code --select}, and its other trials' pruners, read back.
   */
  private void logRecord(TrackedRun run, Trial t) {
    java.nio.file.Path dir = null;
    try {
      dir = java.nio.file.Files.createTempDirectory("cxr-trial");
      java.nio.file.Path file = dir.resolve(RECORD);
      io.cxr.core.io.Json.writeJson(file, SearchJournal.Entry.of(t));
      run.logArtifact(file, "");
    } catch (java.io.IOException | RuntimeException e) {
      reporter.warn("trial " + t.number() + ": its record was not logged (" + e.getMessage() + ")");
    } finally {
      io.cxr.core.io.AtomicFiles.deleteRecursively(dir);
    }
  }

  /** How a trial ended. */
  private record Ending(TrialState state, double score, int bestEpoch, double threshold) {}

  /** A finished trial's figures as logged on its run (never the test split's). */
  private static Map<String, Double> results(TrainingResult r, Objective objective, double score) {
    Map<String, Double> m = new LinkedHashMap<>();
    BinaryMetrics val = r.split(Split.VAL);
    m.put("val_auc", val.roc().auc());
    m.put("val_f1", val.confusion().f1());
    m.put("val_accuracy", val.confusion().accuracy());
    m.put("val_specificity", val.confusion().specificity());
    r.pooledExternal()
        .ifPresent(
            e -> {
              m.put("external_auc", e.metrics().roc().auc());
              m.put("external_specificity", e.metrics().confusion().specificity());
              m.put("external_sensitivity", e.metrics().confusion().sensitivity());
            });
    m.put("threshold", r.threshold());
    m.put("best_epoch", (double) r.bestEpoch());
    m.put("epochs_run", (double) r.history().size());
    m.put(objective.metric(), score);
    return m;
  }

  /**
   * The pruning listener: keeps the trial's best-so-far objective per epoch (the curve the median
   * pruner compares) and stops the trial when the pruner says so.
   */
  private static final class PruningListener implements TrainingListener {
    private final Objective objective;
    private final MedianPruner pruner;
    private final List<Double> curve = new ArrayList<>();

    PruningListener(Objective objective, MedianPruner pruner) {
      this.objective = objective;
      this.pruner = pruner;
    }

    @Override
    public void onEpoch(EpochRecord r) {
      double auc = objective.pick(r.valAuc(), r.externalAuc()); // diverged: worst
      double best = Math.max(auc, curve.isEmpty() ? 0 : curve.get(curve.size() - 1));
      curve.add(best);
      if (pruner.shouldPrune(r.epoch(), best)) {
        throw new Pruned(r.epoch());
      }
    }

    double[] curve() {
      return curve.stream().mapToDouble(Double::doubleValue).toArray();
    }

    double best() {
      return curve.get(curve.size() - 1);
    }
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
