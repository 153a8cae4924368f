package io.cxr.core.hpo;

import io.cxr.core.Reporter;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.data.PreparedDataset;
import io.cxr.core.eval.EpochRecord;
import io.cxr.core.tracking.RunInfo;
import io.cxr.core.tracking.RunSpec;
import io.cxr.core.tracking.RunStatus;
import io.cxr.core.tracking.TrackedRun;
import io.cxr.core.tracking.Tracker;
import io.cxr.core.train.EpochMetricsLogger;
import io.cxr.core.train.Trainer;
import io.cxr.core.train.TrainingListener;
import java.nio.file.Path;
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
  private static final List<String> RESULT_KEYS =
      List.of(
          "val_auc",
          "val_f1",
          "val_accuracy",
          "val_specificity",
          "external_auc",
          "external_specificity",
          "external_sensitivity",
          "threshold",
          "best_epoch",
          "epochs_run");

  private final SearchSpace space;
  private final Path configFile;
  private final List<String> baseOverrides;
  private final PreparedDataset data;
  private final MedianPruner pruner;
  private final Tracker tracker;
  private final String parentRunId;
  private final Reporter reporter;

  public TrialRunner(
      SearchSpace space,
      Path configFile,
      List<String> baseOverrides,
      PreparedDataset data,
      MedianPruner pruner,
      Tracker tracker,
      String parentRunId,
      Reporter reporter) {
    this.space = space;
    this.configFile = configFile;
    this.baseOverrides = baseOverrides;
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
        space.trialConfig(sample, configFile, baseOverrides),
        e.curve());
  }

  public Trial run(int number, Map<String, Object> sample) {
    long t0 = System.nanoTime();
    CxrConfig cfg = space.trialConfig(sample, configFile, baseOverrides);
    Map<String, String> tags =
        new LinkedHashMap<>(
            RunInfo.tags("optimize-trial", cfg.model().type(), data.manifestSha256()));
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
    List<Double> curve = new ArrayList<>();
    Objective objective = Objective.of(cfg.hpo().objective());
    TrainingListener pruning =
        new TrainingListener() {
          @Override
          public void onEpoch(EpochRecord r) {
            double auc = objective.score(r); // diverged counts as worst
            double best = Math.max(auc, curve.isEmpty() ? 0 : curve.get(curve.size() - 1));
            curve.add(best);
            if (pruner.shouldPrune(r.epoch(), best)) {
              throw new Pruned(r.epoch());
            }
          }
        };
    TrainingListener listener =
        TrainingListener.all(new EpochMetricsLogger(run, EpochMetricsLogger.TRIAL_KEYS), pruning);
    try {
      // a trial scores a configuration with one network; the refit trains the configured ensemble
      Trainer.Outcome o =
          Trainer.train(cfg.withEnsemble(1), data, listener, Reporter.SILENT, false);
      double score = objective.score(o.metrics());
      pruner.complete(curve.stream().mapToDouble(Double::doubleValue).toArray());
      Map<String, Double> m = new LinkedHashMap<>();
      RESULT_KEYS.stream()
          .filter(o.metrics()::containsKey)
          .forEach(k -> m.put(k, o.metrics().get(k)));
      m.put(objective.metric(), score);
      run.logMetrics(m, 0);
      run.setTags(Map.of("trial_state", TrialState.COMPLETE.name()));
      return new Trial(
          number,
          sample,
          TrialState.COMPLETE,
          score,
          curve.size(),
          o.metrics().get("best_epoch").intValue(),
          o.metrics().get("threshold"),
          seconds(t0),
          run.runId(),
          cfg,
          curve.stream().mapToDouble(Double::doubleValue).toArray());
    } catch (Pruned p) {
      double score = curve.get(curve.size() - 1);
      run.logMetrics(Map.of(objective.metric(), score), 0);
      run.setTags(Map.of("trial_state", TrialState.PRUNED.name(), "pruned_at_epoch", "" + p.epoch));
      return new Trial(
          number,
          sample,
          TrialState.PRUNED,
          score,
          curve.size(),
          0,
          Double.NaN,
          seconds(t0),
          run.runId(),
          cfg,
          curve.stream().mapToDouble(Double::doubleValue).toArray());
    } catch (RuntimeException e) {
      reporter.warn("trial " + number + " failed: " + e.getMessage());
      run.setTags(Map.of("trial_state", TrialState.FAILED.name()));
      run.end(RunStatus.FAILED);
      return new Trial(
          number,
          sample,
          TrialState.FAILED,
          0,
          curve.size(),
          0,
          Double.NaN,
          seconds(t0),
          run.runId(),
          cfg,
          curve.stream().mapToDouble(Double::doubleValue).toArray());
    }
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
