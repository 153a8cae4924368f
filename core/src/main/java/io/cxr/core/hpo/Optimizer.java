package io.cxr.core.hpo;

import io.cxr.core.Reporter;
import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.data.PreparedDataset;
import io.cxr.core.io.AtomicFiles;
import io.cxr.core.tracking.RunInfo;
import io.cxr.core.tracking.RunStatus;
import io.cxr.core.tracking.TrackedRun;
import io.cxr.core.tracking.Tracker;
import io.cxr.core.train.EpochRecord;
import io.cxr.core.train.TrainStage;
import io.cxr.core.train.Trainer;
import io.cxr.core.train.TrainingListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.deeplearning4j.arbiter.optimize.api.Candidate;
import org.deeplearning4j.arbiter.optimize.api.CandidateGenerator;
import org.deeplearning4j.arbiter.optimize.api.OptimizationResult;
import org.deeplearning4j.arbiter.optimize.generator.GeneticSearchCandidateGenerator;
import org.deeplearning4j.arbiter.optimize.generator.GridSearchCandidateGenerator;
import org.deeplearning4j.arbiter.optimize.generator.RandomSearchGenerator;

/**
 * {@code cxr optimize}: Arbiter proposes candidates (random, grid or genetic), cxr's trainer runs
 * each as a trial scored on validation AUC with median pruning, and everything is recorded as one
 * parent MLflow run with a nested run per trial. The best trial's full config is written as YAML
 * that {@code cxr train --config} reproduces; {@code refit} retrains it on train + val and scores
 * it on test.
 */
public final class Optimizer {
  private Optimizer() {}

  /** One trial. */
  public record Trial(
      int number,
      Map<String, Object> params,
      String state,
      double score,
      int epochs,
      int bestEpoch,
      double threshold,
      double seconds,
      String runId,
      CxrConfig config) {}

  /** The search's outcome. */
  public record Result(
      List<Trial> trials,
      Trial best,
      Path bestConfig,
      double seconds,
      String parentRunId,
      Map<String, Double> refitMetrics) {}

  /** Thrown by the pruning listener to stop a trial. */
  static final class Pruned extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int epoch;

    Pruned(int epoch) {
      super("pruned at epoch " + epoch, null, false, false);
      this.epoch = epoch;
    }
  }

  /** The candidates a strategy proposes, seeded (same seed, same sequence). */
  public static CandidateGenerator generator(CxrConfig cfg, SearchSpace space) {
    CandidateGenerator g =
        switch (cfg.hpo().strategy()) {
          case "grid" ->
              new GridSearchCandidateGenerator(
                  space,
                  cfg.hpo().gridPoints(),
                  GridSearchCandidateGenerator.Mode.Sequential,
                  null);
          case "genetic" ->
              new GeneticSearchCandidateGenerator.Builder(space, new MaximizeScore())
                  .selectionOperator(seededSelection(cfg.seed()))
                  .build();
          default -> new RandomSearchGenerator(space, null);
        };
    g.setRngSeed(cfg.seed());
    return g;
  }

  /** Arbiter's genetic operators draw from unseeded generators unless given seeded ones. */
  private static org.deeplearning4j.arbiter.optimize.generator.genetic.selection
          .GeneticSelectionOperator
      seededSelection(long seed) {
    return new org.deeplearning4j.arbiter.optimize.generator.genetic.selection
            .GeneticSelectionOperator.Builder()
        .randomGenerator(new org.apache.commons.math3.random.MersenneTwister((int) seed))
        .crossoverOperator(
            new org.deeplearning4j.arbiter.optimize.generator.genetic.crossover.SinglePointCrossover
                    .Builder()
                .randomGenerator(
                    new org.apache.commons.math3.random.MersenneTwister((int) seed + 1))
                .parentSelection(
                    new org.deeplearning4j.arbiter.optimize.generator.genetic.crossover
                        .parentselection.RandomTwoParentSelection(
                        new org.apache.commons.math3.random.MersenneTwister((int) seed + 2)))
                .build())
        .mutationOperator(
            new org.deeplearning4j.arbiter.optimize.generator.genetic.mutation
                    .RandomMutationOperator.Builder()
                .randomGenerator(
                    new org.apache.commons.math3.random.MersenneTwister((int) seed + 3))
                .build())
        .build();
  }

  public static Result run(
      CxrConfig base,
      Path configFile,
      List<String> baseOverrides,
      boolean refit,
      Tracker tracker,
      Reporter reporter) {
    long t0 = System.nanoTime();
    SearchSpace space = SearchSpace.of(base, baseOverrides, configFile);
    CandidateGenerator gen = generator(base, space);
    PreparedDataset data = PreparedDataset.load(Path.of(base.paths().prepared()));
    CxrConfig.Hpo hpo = base.hpo();
    String type = base.model().type();
    MedianPruner pruner =
        new MedianPruner(
            hpo.pruning().enabled(), hpo.pruning().warmupEpochs(), hpo.pruning().minTrials());
    TrackedRun parent =
        tracker.start(
            base.experiment().name(),
            RunInfo.runName(base, "optimize", type),
            RunInfo.tags("optimize", type, data.manifestSha256()),
            null);
    reporter.info(
        String.format(
            Locale.ROOT,
            "search: %s over %s, %d trials%s, pruning %s; parent run %s in %s",
            hpo.strategy(),
            String.join(", ", space.keys()),
            hpo.trials(),
            hpo.maxMinutes() > 0 ? " or " + hpo.maxMinutes() + " min" : "",
            hpo.pruning().enabled() ? "on" : "off",
            parent.runId(),
            tracker.describe()));
    List<Trial> trials = new ArrayList<>();
    try {
      parent.logParams(RunInfo.params(base));
      long deadline = hpo.maxMinutes() > 0 ? t0 + (long) (hpo.maxMinutes() * 60e9) : Long.MAX_VALUE;
      // candidates come from the generator in order (seeded, deterministic); up to
      // hpo.parallel trials train at once, and each result goes back to the generator
      java.util.concurrent.ExecutorService pool =
          java.util.concurrent.Executors.newFixedThreadPool(
              hpo.parallel(),
              r -> {
                Thread th = new Thread(r, "cxr-trial");
                th.setDaemon(true);
                return th;
              });
      java.util.concurrent.CompletionService<Trial> done =
          new java.util.concurrent.ExecutorCompletionService<>(pool);
      Map<Integer, Candidate<?>> inFlight = new LinkedHashMap<>();
      int started = 0;
      boolean timeUp = false;
      try {
        while (true) {
          while (inFlight.size() < hpo.parallel()
              && started < hpo.trials()
              && !timeUp
              && gen.hasMoreCandidates()) {
            if (System.nanoTime() > deadline) {
              reporter.info("hpo.max_minutes reached: no further trials");
              timeUp = true;
              break;
            }
            Candidate<?> c = gen.getCandidate();
            @SuppressWarnings("unchecked")
            Map<String, Object> sample = (Map<String, Object>) c.getValue();
            int number = ++started;
            inFlight.put(number, c);
            done.submit(
                () ->
                    trial(
                        number,
                        sample,
                        space,
                        configFile,
                        baseOverrides,
                        data,
                        pruner,
                        tracker,
                        parent.runId(),
                        reporter));
          }
          if (inFlight.isEmpty()) {
            break;
          }
          Trial t = done.take().get();
          Candidate<?> c = inFlight.remove(t.number());
          trials.add(t);
          gen.reportResults(new OptimizationResult(c, t.score(), c.getIndex(), null, null, null));
          reporter.info(
              String.format(
                  Locale.ROOT,
                  "trial %2d/%d  %-8s val_auc %.4f  epochs %2d  %5.1fs  %s",
                  t.number(),
                  hpo.trials(),
                  t.state(),
                  t.score(),
                  t.epochs(),
                  t.seconds(),
                  describe(t.params())));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new io.cxr.core.CxrException("search interrupted");
      } catch (java.util.concurrent.ExecutionException e) {
        throw e.getCause() instanceof RuntimeException re
            ? re
            : new IllegalStateException(e.getCause());
      } finally {
        pool.shutdownNow();
      }
      trials.sort(Comparator.comparingInt(Trial::number));
      Optional<Trial> best =
          trials.stream()
              .filter(t -> t.state().equals("COMPLETE"))
              .max(Comparator.comparingDouble(Trial::score));
      if (best.isEmpty()) {
        throw new io.cxr.core.CxrException(
            "no trial completed (" + trials.size() + " run); nothing to choose");
      }
      Trial b = best.get();
      Path out = Path.of(hpo.output());
      AtomicFiles.writeString(
          out,
          "# best of "
              + trials.size()
              + " trials (cxr optimize, parent run "
              + parent.runId()
              + "): val_auc "
              + String.format(Locale.ROOT, "%.6f", b.score())
              + "\n# reproduce: cxr train --config "
              + out
              + "\n"
              + ConfigLoader.toYaml(b.config()));
      Map<String, String> bestParams = new LinkedHashMap<>();
      b.params().forEach((k, v) -> bestParams.put("best." + k, SearchSpace.flow(v)));
      parent.logParams(bestParams);
      Map<String, Double> summary = new LinkedHashMap<>();
      summary.put("best_val_auc", b.score());
      summary.put("trials", (double) trials.size());
      summary.put("trials_pruned", (double) count(trials, "PRUNED"));
      summary.put("trials_failed", (double) count(trials, "FAILED"));
      summary.put("search_seconds", (System.nanoTime() - t0) / 1e9);
      parent.logMetrics(summary, 0);
      parent.setTags(Map.of("best_trial_run_id", b.runId(), "best_trial", "" + b.number()));
      Path art = TrainStage.artifactsDir(base).resolve("hpo");
      writeTrialsCsv(trials, space.keys(), art.resolve("trials.csv"));
      TrialPlots.scores(trials, art.resolve("trial_scores.png"));
      List<String> plotted = TrialPlots.importance(trials, space.keys(), art);
      parent.logArtifact(out, "");
      parent.logArtifact(art.resolve("trials.csv"), "hpo");
      parent.logArtifact(art.resolve("trial_scores.png"), "hpo");
      for (String f : plotted) {
        parent.logArtifact(art.resolve(f), "hpo");
      }
      Map<String, Double> refitMetrics = null;
      if (refit) {
        refitMetrics = refit(b, data, tracker, parent.runId(), reporter);
        parent.logMetrics(
            Map.of(
                "refit_test_auc", refitMetrics.get("test_auc"),
                "refit_test_f1", refitMetrics.get("test_f1")),
            0);
      }
      parent.end(RunStatus.FINISHED);
      return new Result(
          trials, b, out, (System.nanoTime() - t0) / 1e9, parent.runId(), refitMetrics);
    } catch (RuntimeException | Error e) {
      parent.end(RunStatus.FAILED);
      throw e;
    }
  }

  private static Trial trial(
      int number,
      Map<String, Object> sample,
      SearchSpace space,
      Path configFile,
      List<String> baseOverrides,
      PreparedDataset data,
      MedianPruner pruner,
      Tracker tracker,
      String parentId,
      Reporter reporter) {
    long t0 = System.nanoTime();
    CxrConfig cfg = space.trialConfig(sample, configFile, baseOverrides);
    Map<String, String> tags =
        new LinkedHashMap<>(
            RunInfo.tags("optimize-trial", cfg.model().type(), data.manifestSha256()));
    tags.put("trial", Integer.toString(number));
    TrackedRun run =
        tracker.start(
            cfg.experiment().name(),
            String.format(Locale.ROOT, "trial-%02d", number),
            tags,
            parentId);
    Map<String, String> params = new LinkedHashMap<>();
    sample.forEach((k, v) -> params.put(k, SearchSpace.flow(v)));
    params.put("trial", Integer.toString(number));
    run.logParams(params);
    List<Double> curve = new ArrayList<>();
    TrainingListener listener =
        new TrainingListener() {
          @Override
          public void onEpoch(EpochRecord r) {
            double auc = Double.isNaN(r.valAuc()) ? 0 : r.valAuc(); // diverged counts as worst
            double best = Math.max(auc, curve.isEmpty() ? 0 : curve.get(curve.size() - 1));
            curve.add(best);
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("epoch_train_loss", r.trainLoss());
            m.put("epoch_val_loss", r.valLoss());
            m.put("epoch_val_auc", r.valAuc());
            run.logMetrics(m, r.epoch());
            if (pruner.shouldPrune(r.epoch(), best)) {
              throw new Pruned(r.epoch());
            }
          }
        };
    try {
      Trainer.Outcome o = Trainer.train(cfg, data, listener, Reporter.SILENT, false);
      double score = o.metrics().get("val_auc");
      score = Double.isNaN(score) ? 0 : score;
      pruner.complete(curve.stream().mapToDouble(Double::doubleValue).toArray());
      Map<String, Double> m = new LinkedHashMap<>();
      for (String k :
          List.of(
              "val_auc",
              "val_f1",
              "val_accuracy",
              "val_specificity",
              "threshold",
              "best_epoch",
              "epochs_run")) {
        m.put(k, o.metrics().get(k));
      }
      run.logMetrics(m, 0);
      run.setTags(Map.of("trial_state", "COMPLETE"));
      run.end(RunStatus.FINISHED);
      return new Trial(
          number,
          sample,
          "COMPLETE",
          score,
          curve.size(),
          o.metrics().get("best_epoch").intValue(),
          o.metrics().get("threshold"),
          (System.nanoTime() - t0) / 1e9,
          run.runId(),
          cfg);
    } catch (Pruned p) {
      double score = curve.get(curve.size() - 1);
      run.logMetrics(Map.of("val_auc", score), 0);
      run.setTags(Map.of("trial_state", "PRUNED", "pruned_at_epoch", "" + p.epoch));
      run.end(RunStatus.FINISHED);
      return new Trial(
          number,
          sample,
          "PRUNED",
          score,
          curve.size(),
          0,
          Double.NaN,
          (System.nanoTime() - t0) / 1e9,
          run.runId(),
          cfg);
    } catch (RuntimeException e) {
      reporter.warn("trial " + number + " failed: " + e.getMessage());
      run.setTags(Map.of("trial_state", "FAILED"));
      run.end(RunStatus.FAILED);
      return new Trial(
          number,
          sample,
          "FAILED",
          0,
          curve.size(),
          0,
          Double.NaN,
          (System.nanoTime() - t0) / 1e9,
          run.runId(),
          cfg);
    }
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
    TrackedRun run =
        tracker.start(
            cfg.experiment().name(),
            "refit",
            RunInfo.tags("optimize-refit", cfg.model().type(), data.manifestSha256()),
            parentId);
    try {
      run.logParams(RunInfo.params(cfg));
      Trainer.Outcome out =
          Trainer.train(cfg, data.withValMergedIntoTrain(), new TrainingListener() {}, reporter);
      TrainStage.Written w = TrainStage.write(cfg, out);
      run.logMetrics(TrainStage.rounded(out.metrics()), 0);
      run.logArtifact(w.model(), "model");
      run.logArtifact(w.metrics(), "");
      run.end(RunStatus.FINISHED);
      return out.metrics();
    } catch (RuntimeException e) {
      run.end(RunStatus.FAILED);
      throw e;
    }
  }

  private static com.fasterxml.jackson.databind.JsonNode overrideTree(
      CxrConfig cfg, List<String> overrides) {
    try {
      com.fasterxml.jackson.databind.node.ObjectNode tree =
          (com.fasterxml.jackson.databind.node.ObjectNode)
              io.cxr.core.io.Json.YAML.readTree(ConfigLoader.toYaml(cfg));
      for (String o : overrides) {
        ConfigLoader.applyOverride(tree, o);
      }
      return tree;
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long count(List<Trial> trials, String state) {
    return trials.stream().filter(t -> t.state().equals(state)).count();
  }

  static String describe(Map<String, Object> sample) {
    List<String> parts = new ArrayList<>();
    sample.forEach(
        (k, v) -> parts.add(k.substring(k.lastIndexOf('.') + 1) + "=" + SearchSpace.flow(v)));
    return String.join(" ", parts);
  }

  private static void writeTrialsCsv(List<Trial> trials, List<String> keys, Path file) {
    StringBuilder sb = new StringBuilder("trial,state,val_auc,epochs,seconds,run_id");
    keys.forEach(k -> sb.append(',').append(k));
    sb.append('\n');
    for (Trial t : trials) {
      sb.append(
          String.format(
              Locale.ROOT,
              "%d,%s,%.6f,%d,%.1f,%s",
              t.number(),
              t.state(),
              t.score(),
              t.epochs(),
              t.seconds(),
              t.runId()));
      for (String k : keys) {
        sb.append(",\"").append(SearchSpace.flow(t.params().get(k))).append('"');
      }
      sb.append('\n');
    }
    AtomicFiles.writeString(file, sb.toString());
  }

  /** Arbiter's genetic generator wants a score function; cxr scores trials itself. */
  static final class MaximizeScore
      implements org.deeplearning4j.arbiter.optimize.api.score.ScoreFunction {
    private static final long serialVersionUID = 1L;

    @Override
    public double score(
        Object model,
        org.deeplearning4j.arbiter.optimize.api.data.DataProvider data,
        Map<String, Object> params) {
      throw new UnsupportedOperationException("cxr scores trials itself");
    }

    @Override
    public double score(
        Object model,
        Class<? extends org.deeplearning4j.arbiter.optimize.api.data.DataSource> data,
        java.util.Properties props) {
      throw new UnsupportedOperationException("cxr scores trials itself");
    }

    @Override
    public boolean minimize() {
      return false;
    }

    @Override
    public List<Class<?>> getSupportedModelTypes() {
      return List.of(Object.class);
    }

    @Override
    public List<Class<?>> getSupportedDataTypes() {
      return List.of(Object.class);
    }
  }
}
