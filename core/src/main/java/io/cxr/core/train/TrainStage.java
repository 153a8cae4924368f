package io.cxr.core.train;

import io.cxr.core.Reporter;
import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.data.PreparedDataset;
import io.cxr.core.data.Split;
import io.cxr.core.eval.Plots;
import io.cxr.core.io.AtomicFiles;
import io.cxr.core.io.Json;
import io.cxr.core.tracking.RunInfo;
import io.cxr.core.tracking.RunStatus;
import io.cxr.core.tracking.TrackedRun;
import io.cxr.core.tracking.Tracker;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The train stage: prepared data -> {@code <models>/model.zip}, {@code <models>/metrics.json},
 * {@code <models>/config.yaml}, and plots plus {@code history.csv} under {@code
 * <artifacts>/<experiment>/}.
 */
public final class TrainStage {
  private TrainStage() {}

  /** Paths of what the stage wrote. */
  public record Written(Path model, Path metrics, Path artifacts) {}

  /** Trains and writes outputs, recording the run in {@code tracker}. */
  public static Trainer.Outcome run(
      CxrConfig cfg, TrainingListener listener, Reporter reporter, Tracker tracker) {
    PreparedDataset data = PreparedDataset.load(Path.of(cfg.paths().prepared()));
    String type = cfg.model().type();
    TrackedRun run =
        tracker.start(
            cfg.experiment().name(),
            RunInfo.runName(cfg, "train", type),
            RunInfo.tags("train", type, data.manifestSha256()),
            null);
    reporter.info("tracking: run " + run.runId() + " in " + tracker.describe());
    try {
      run.logParams(RunInfo.params(cfg));
      TrainingListener tracking =
          new TrainingListener() {
            @Override
            public void onStart(String modelType, long parameters, int trainImages, int epochs) {
              listener.onStart(modelType, parameters, trainImages, epochs);
            }

            @Override
            public void onBatch(int epoch, int batch, int batches) {
              listener.onBatch(epoch, batch, batches);
            }

            @Override
            public void onEpoch(EpochRecord r) {
              Map<String, Double> m = new LinkedHashMap<>();
              // epoch_* series: one point per epoch; the final figures keep their plain names
              m.put("epoch_train_loss", r.trainLoss());
              m.put("epoch_val_loss", r.valLoss());
              m.put("epoch_val_auc", r.valAuc());
              m.put("epoch_seconds", r.seconds());
              m.put("epoch_images_per_second", r.imagesPerSecond());
              run.logMetrics(m, r.epoch());
              listener.onEpoch(r);
            }
          };
      Trainer.Outcome outcome = Trainer.train(cfg, data, tracking, reporter);
      Trainer.Outcome o =
          outcome.withModel(
              new io.cxr.core.model.ModelBundle(
                  outcome.model().network(),
                  outcome.model().card().withProvenance("tracking_run_id", run.runId())));
      Written w = write(cfg, o);
      run.logMetrics(rounded(o.metrics()), 0);
      run.logArtifact(w.model(), "model");
      run.logArtifact(w.metrics(), "");
      run.logArtifact(Path.of(cfg.paths().models(), "config.yaml"), "");
      for (String f :
          List.of(
              "confusion_matrix.png",
              "roc_curve.png",
              "pr_curve.png",
              "training_curves.png",
              "history.csv",
              "roc_test.csv",
              "pr_test.csv",
              "test_predictions.csv")) {
        run.logArtifact(w.artifacts().resolve(f), "plots");
      }
      RunInfo.write(Path.of(cfg.paths().models()), run, tracker.describe());
      run.end(RunStatus.FINISHED);
      return o;
    } catch (RuntimeException | Error e) {
      run.end(RunStatus.FAILED);
      throw e;
    }
  }

  /** Figures that depend on the machine, kept out of metrics.json. */
  public static final List<String> TIMING_KEYS =
      List.of("train_seconds", "train_images_per_second");

  public static Written write(CxrConfig cfg, Trainer.Outcome o) {
    Path models = Path.of(cfg.paths().models());
    Path art = artifactsDir(cfg);
    Map<String, Double> m = o.metrics();
    Plots.confusionMatrix(
        o.splits().get(Split.TEST).confusion(),
        String.format(Locale.ROOT, "Test confusion matrix (threshold %.3f)", m.get("threshold")),
        art.resolve("confusion_matrix.png"));
    Map<String, io.cxr.core.eval.RocCurve> roc = new LinkedHashMap<>();
    Map<String, io.cxr.core.eval.PrecisionRecallCurve> pr = new LinkedHashMap<>();
    for (Split s : new Split[] {Split.VAL, Split.TEST}) {
      roc.put(s.key(), o.splits().get(s).roc());
      pr.put(s.key(), o.splits().get(s).pr());
    }
    Plots.roc(roc, art.resolve("roc_curve.png"));
    Plots.precisionRecall(pr, art.resolve("pr_curve.png"));
    Plots.trainingCurves(o.history(), art.resolve("training_curves.png"));
    // seed-determined columns only (epoch times go to the tracker), so a re-run is identical
    StringBuilder csv = new StringBuilder("epoch,train_loss,val_loss,val_auc\n");
    for (EpochRecord r : o.history()) {
      csv.append(
          String.format(
              Locale.ROOT,
              "%d,%.6f,%.6f,%.6f%n",
              r.epoch(),
              r.trainLoss(),
              r.valLoss(),
              r.valAuc()));
    }
    AtomicFiles.writeString(art.resolve("history.csv"), csv.toString());
    writeCurves(art, o.splits().get(Split.TEST));
    StringBuilder pred = new StringBuilder("actual,predicted,probability\n");
    for (int i = 0; i < o.testLabels().length; i++) {
      pred.append(io.cxr.core.data.Label.of(o.testLabels()[i]).name())
          .append(',')
          .append(o.testScores()[i] >= m.get("threshold") ? "PNEUMONIA" : "NORMAL")
          .append(',')
          .append(String.format(Locale.ROOT, "%.6f", o.testScores()[i]))
          .append('\n');
    }
    AtomicFiles.writeString(art.resolve("test_predictions.csv"), pred.toString());
    // the model last among the model files: metrics.json never describes a model not written
    Path model = models.resolve("model.zip");
    o.model().save(model);
    Path metrics = models.resolve("metrics.json");
    // metrics.json holds only what the seed determines, so a re-run reproduces it byte for
    // byte (and DVC sees no change); wall times go to timing.json
    Map<String, Double> deterministic = new LinkedHashMap<>(rounded(m));
    Map<String, Double> timing = new LinkedHashMap<>();
    for (String k : TIMING_KEYS) {
      timing.put(k, deterministic.remove(k));
    }
    Json.writeJson(metrics, deterministic);
    Json.writeJson(models.resolve("timing.json"), timing);
    AtomicFiles.writeString(models.resolve("config.yaml"), ConfigLoader.toYaml(cfg));
    return new Written(model, metrics, art);
  }

  /** Plot data for DVC: ROC and PR points and per-image test decisions (for its confusion). */
  static void writeCurves(Path art, io.cxr.core.eval.BinaryMetrics test) {
    StringBuilder roc = new StringBuilder("fpr,tpr,threshold\n");
    var r = test.roc();
    for (int i = 0; i < r.fpr().length; i++) {
      roc.append(
          String.format(
              Locale.ROOT,
              "%.6f,%.6f,%.6f%n",
              r.fpr()[i],
              r.tpr()[i],
              Double.isInfinite(r.thresholds()[i]) ? 1.0 : r.thresholds()[i]));
    }
    AtomicFiles.writeString(art.resolve("roc_test.csv"), roc.toString());
    StringBuilder pr = new StringBuilder("recall,precision,threshold\n");
    var p = test.pr();
    for (int i = 0; i < p.recall().length; i++) {
      pr.append(
          String.format(
              Locale.ROOT, "%.6f,%.6f,%.6f%n", p.recall()[i], p.precision()[i], p.thresholds()[i]));
    }
    AtomicFiles.writeString(art.resolve("pr_test.csv"), pr.toString());
  }

  public static Path artifactsDir(CxrConfig cfg) {
    return Path.of(cfg.paths().artifacts(), cfg.experiment().name());
  }

  /** Six decimals: enough for comparisons, stable in diffs. */
  public static Map<String, Double> rounded(Map<String, Double> m) {
    Map<String, Double> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(k, v == null || v.isNaN() ? null : Math.round(v * 1e6) / 1e6));
    return out;
  }
}
