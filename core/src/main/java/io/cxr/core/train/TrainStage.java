package io.cxr.core.train;

import io.cxr.core.Reporter;
import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.data.PreparedDataset;
import io.cxr.core.data.Split;
import io.cxr.core.eval.Plots;
import io.cxr.core.io.AtomicFiles;
import io.cxr.core.io.Json;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The train stage: prepared data -> {@code <models>/model.zip}, {@code <models>/metrics.json},
 * {@code <models>/config.yaml}, and plots plus {@code history.csv} under
 * {@code <artifacts>/<experiment>/}.
 */
public final class TrainStage {
  private TrainStage() {}

  /** Paths of what the stage wrote. */
  public record Written(Path model, Path metrics, Path artifacts) {}

  public static Trainer.Outcome run(CxrConfig cfg, TrainingListener listener, Reporter reporter) {
    PreparedDataset data = PreparedDataset.load(Path.of(cfg.paths().prepared()));
    Trainer.Outcome outcome = Trainer.train(cfg, data, listener, reporter);
    write(cfg, outcome);
    return outcome;
  }

  public static Written write(CxrConfig cfg, Trainer.Outcome o) {
    Path models = Path.of(cfg.paths().models());
    Path art = artifactsDir(cfg);
    Map<String, Double> m = o.metrics();
    Plots.confusionMatrix(o.splits().get(Split.TEST).confusion(),
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
    StringBuilder csv = new StringBuilder("epoch,train_loss,val_loss,val_auc,seconds,images_per_second\n");
    for (EpochRecord r : o.history()) {
      csv.append(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6f,%.3f,%.1f%n", r.epoch(),
          r.trainLoss(), r.valLoss(), r.valAuc(), r.seconds(), r.imagesPerSecond()));
    }
    AtomicFiles.writeString(art.resolve("history.csv"), csv.toString());
    // the model last among the model files: metrics.json never describes a model not written
    Path model = models.resolve("model.zip");
    o.model().save(model);
    Path metrics = models.resolve("metrics.json");
    Json.writeJson(metrics, rounded(m));
    AtomicFiles.writeString(models.resolve("config.yaml"), ConfigLoader.toYaml(cfg));
    return new Written(model, metrics, art);
  }

  public static Path artifactsDir(CxrConfig cfg) {
    return Path.of(cfg.paths().artifacts(), cfg.experiment().name());
  }

  /** Six decimals: enough for comparisons, stable in diffs. */
  public static Map<String, Double> rounded(Map<String, Double> m) {
    Map<String, Double> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(k, v == null || v.isNaN() ? null
        : Math.round(v * 1e6) / 1e6));
    return out;
  }
}
