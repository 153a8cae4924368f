package io.cxr.core.stage;

import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.data.Label;
import io.cxr.core.data.PreparedDataset;
import io.cxr.core.data.Split;
import io.cxr.core.eval.BinaryMetrics;
import io.cxr.core.eval.Calibration;
import io.cxr.core.eval.EpochRecord;
import io.cxr.core.eval.MetricMaps;
import io.cxr.core.eval.PrecisionRecallCurve;
import io.cxr.core.eval.RocCurve;
import io.cxr.core.io.AtomicFiles;
import io.cxr.core.io.Hashing;
import io.cxr.core.io.Json;
import io.cxr.core.io.OutputFolder;
import io.cxr.core.io.WorkspaceLock;
import io.cxr.core.model.BundleFiles;
import io.cxr.core.model.ModelCard;
import io.cxr.core.report.Plots;
import io.cxr.core.report.Reports;
import io.cxr.core.tracking.ModelArtifact;
import io.cxr.core.tracking.RunInfo;
import io.cxr.core.tracking.RunSpec;
import io.cxr.core.tracking.TrackedRun;
import io.cxr.core.tracking.Tracker;
import io.cxr.core.train.Checkpoint;
import io.cxr.core.train.EpochMetricsLogger;
import io.cxr.core.train.Trainer;
import io.cxr.core.train.TrainingListener;
import io.cxr.core.train.TrainingResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code cxr train}: prepared data -> {@code <models>/model.zip}, {@code metrics.json}, {@code
 * timing.json}, {@code config.yaml}, {@code run.json}, and plots plus {@code history.csv} under
 * {@code <artifacts>/<experiment>/}, all recorded in one tracked run.
 */
public final class TrainStage {
  /** Figures that depend on the machine, kept out of metrics.json. */
  public static final List<String> TIMING_KEYS =
      List.of("train_seconds", "train_images_per_second");

  /** Plots and plot data written under the experiment's artifacts and logged under plots/. */
  private static final List<String> PLOT_FILES =
      List.of(
          "confusion_matrix.png",
          "roc_curve.png",
          "pr_curve.png",
          "training_curves.png",
          "reliability.png",
          "history.csv",
          "roc_test.csv",
          "pr_test.csv",
          "test_predictions.csv");

  private TrainStage() {}

  /** Paths of what the stage wrote. */
  public record Written(Path model, Path metrics, Path artifacts) {}

  /** Trains and writes outputs, recording the run in {@code tracker}. */
  public static TrainingResult run(
      CxrConfig cfg, TrainingListener listener, Reporter reporter, Tracker tracker) {
    return run(cfg, listener, reporter, tracker, false);
  }

  /**
   * {@code cxr train --check}: the one-batch sanity check on the prepared data; nothing is written
   * and no run is recorded.
   */
  public static Trainer.CheckResult check(CxrConfig cfg, Reporter reporter) {
    return new Trainer(cfg, reporter).check(PreparedDataset.load(Path.of(cfg.paths().prepared())));
  }

  /** The result's metrics as a table: train, val, test and the pooled external sets. */
  public static String table(TrainingResult r) {
    List<String> columns = new ArrayList<>(List.of("train", "val", "test"));
    // the pooled external sets (each set's figures are in metrics.json as external_<name>_*)
    r.pooledExternal().ifPresent(e -> columns.add(e.name()));
    return Reports.table(r.flatMetrics(), columns);
  }

  /** The closing line of a training: time, best epoch, threshold and where the outputs went. */
  public static String summary(CxrConfig cfg, TrainingResult r) {
    return String.format(
        Locale.ROOT,
        "%s trained in %.1f s (best epoch %d of %d), threshold %.4f; wrote %s/model.zip, "
            + "%s/metrics.json, plots in %s",
        cfg.model().type(),
        r.seconds(),
        r.bestEpoch(),
        r.history().size(),
        r.threshold(),
        cfg.paths().models(),
        cfg.paths().models(),
        cfg.experimentArtifacts());
  }

  /** The checkpoint folder of a config: {@code <paths.models>/checkpoint}. */
  public static Path checkpointDir(CxrConfig cfg) {
    return Path.of(cfg.paths().models()).resolve("checkpoint");
  }

  /**
   * Trains, with a checkpoint after every epoch; with {@code resume}, continues the run a killed
   * train left from its last checkpoint (same MLflow run, identical final metrics). The checkpoint
   * is removed once the model files are written.
   */
  public static TrainingResult run(
      CxrConfig cfg,
      TrainingListener listener,
      Reporter reporter,
      Tracker tracker,
      boolean resume) {
    Path models = Path.of(cfg.paths().models());
    try (WorkspaceLock lock = WorkspaceLock.acquire(models, true, "paths.models", "cxr train")) {
      return locked(cfg, listener, reporter, tracker, resume);
    }
  }

  private static TrainingResult locked(
      CxrConfig cfg,
      TrainingListener listener,
      Reporter reporter,
      Tracker tracker,
      boolean resume) {
    PreparedDataset data = PreparedDataset.load(Path.of(cfg.paths().prepared()));
    String type = cfg.model().type().key();
    Path ckpt = checkpointDir(cfg);
    if (resume) {
      Checkpoint.State st = Checkpoint.state(ckpt);
      claimOutputs(cfg);
      String exp = st.extra().get("experiment_id");
      String id = st.extra().get("run_id");
      TrackedRun run = exp == null || id == null ? null : tracker.resume(exp, id);
      if (run == null) {
        throw new CxrException(
            "--resume: the checkpoint's run "
                + id
                + " is not in "
                + tracker.describe()
                + " (was tracking.local_dir changed?)");
      }
      return tracker.within(run, r -> train(cfg, data, listener, reporter, r, tracker, ckpt, true));
    }
    claimOutputs(cfg);
    RunSpec spec =
        RunSpec.of(
            cfg.experiment().name(),
            RunInfo.runName(cfg, "train", type),
            RunInfo.tags("train", type, data.manifestSha256()));
    return tracker.within(
        spec, run -> train(cfg, data, listener, reporter, run, tracker, ckpt, false));
  }

  private static TrainingResult train(
      CxrConfig cfg,
      PreparedDataset data,
      TrainingListener listener,
      Reporter reporter,
      TrackedRun run,
      Tracker tracker,
      Path ckpt,
      boolean resume) {
    reporter.info("tracking: run " + run.runId() + " in " + tracker.describe());
    if (!resume) {
      run.logParams(RunInfo.params(cfg));
      run.logInputs(RunInputs.of(data));
    }
    TrainingListener both =
        TrainingListener.all(new EpochMetricsLogger(run, EpochMetricsLogger.TRAIN_KEYS), listener);
    TrainingResult outcome;
    try {
      outcome =
          new Trainer(cfg, reporter, both)
              .checkpointing(
                  new Checkpoint.Plan(
                      ckpt, resume, Checkpoint.runIds(run.experimentId(), run.runId())))
              .fit(data);
    } catch (io.cxr.core.train.TrainingCollapsed e) {
      // a diverged run is nothing to resume: its checkpoint goes with it
      Checkpoint.deleteAll(ckpt, cfg.train().ensemble());
      throw e;
    }
    TrainingResult o =
        outcome.withModel(
            outcome
                .model()
                .withCard(outcome.model().card().withProvenance("tracking_run_id", run.runId())));
    Written w = write(cfg, o);
    run.logMetrics(MetricMaps.rounded(o.flatMetrics()), 0);
    ModelArtifact.log(run, w.model());
    run.logArtifact(w.metrics(), "");
    run.logArtifact(Path.of(cfg.paths().models(), BundleFiles.CONFIG), "");
    for (String f : PLOT_FILES) {
      run.logArtifact(w.artifacts().resolve(f), "plots");
    }
    RunInfo.write(Path.of(cfg.paths().models()), run, tracker.describe());
    Checkpoint.deleteAll(ckpt, cfg.train().ensemble()); // the model is out: nothing left to resume
    return o;
  }

  /**
   * Refuses, before any training, to write over files in {@code paths.models} or the artifacts
   * folder that cxr did not write ({@link OutputFolder}).
   */
  public static void claimOutputs(CxrConfig cfg) {
    Path models = Path.of(cfg.paths().models());
    // both checked before either is marked: a refusal leaves nothing behind
    boolean markModels = OutputFolder.check(models, MODEL_FILES, "paths.models");
    boolean markArtifacts =
        OutputFolder.check(cfg.experimentArtifacts(), PLOT_FILES, "paths.artifacts");
    if (markModels) {
      OutputFolder.mark(models, MODEL_FILES, "paths.models");
    }
    if (markArtifacts) {
      OutputFolder.mark(cfg.experimentArtifacts(), PLOT_FILES, "paths.artifacts");
    }
    // before the first epoch, not after the last: a read-only plots folder fails at once
    OutputFolder.requireWritable(models, "paths.models");
    OutputFolder.requireWritable(cfg.experimentArtifacts(), "paths.artifacts");
  }

  private static final List<String> MODEL_FILES =
      List.of(
          BundleFiles.MODEL,
          BundleFiles.METRICS,
          BundleFiles.TIMING,
          BundleFiles.CONFIG,
          BundleFiles.RUN);

  /** Writes the plots, plot data and the model files of an outcome. */
  public static Written write(CxrConfig cfg, TrainingResult o) {
    claimOutputs(cfg);
    Path art = cfg.experimentArtifacts();
    String history = historyCsv(o);
    writePlots(art, o, history);
    // the model last among the model files: metrics.json never describes a model not written
    Path models = Path.of(cfg.paths().models());
    Path model = models.resolve(BundleFiles.MODEL);
    // the card names its history: a report never draws another training's curves beside it
    o.model()
        .withCard(o.model().card().withProvenance(HISTORY_SHA256, Hashing.sha256(history)))
        .save(model);
    Path metrics = models.resolve(BundleFiles.METRICS);
    // metrics.json holds only what the seed determines, so a re-run reproduces it byte for
    // byte (and DVC sees no change); wall times go to timing.json
    Map<String, Double> deterministic = new LinkedHashMap<>(MetricMaps.rounded(o.flatMetrics()));
    Map<String, Double> timing = new LinkedHashMap<>();
    for (String k : TIMING_KEYS) {
      timing.put(k, deterministic.remove(k));
    }
    Json.writeJson(metrics, deterministic);
    peakRssMib().ifPresent(mib -> timing.put("peak_rss_mib", mib));
    Json.writeJson(models.resolve(BundleFiles.TIMING), timing);
    AtomicFiles.writeString(models.resolve(BundleFiles.CONFIG), ConfigLoader.toYaml(cfg));
    return new Written(model, metrics, art);
  }

  /**
   * The process's peak resident set size so far (Linux: VmHWM of /proc/self/status), in MiB; empty
   * elsewhere. What a training needed, recorded beside its wall time.
   */
  static java.util.OptionalDouble peakRssMib() {
    try {
      for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          String kb = line.substring(6).trim().split("\\s+")[0];
          return java.util.OptionalDouble.of(Math.round(Long.parseLong(kb) / 102.4) / 10.0);
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      // not Linux, or no procfs: the figure is simply not recorded
    }
    return java.util.OptionalDouble.empty();
  }

  /** The model card's provenance key holding the SHA-256 of its training's history.csv. */
  public static final String HISTORY_SHA256 = "history_sha256";

  /**
   * history.csv: seed-determined columns only (epoch times go to the tracker), so a re-run is
   * identical; the external sets' columns only when there are some. An ensemble's members follow
   * one another, each from epoch 1.
   */
  static String historyCsv(TrainingResult o) {
    boolean ext = !o.external().isEmpty();
    StringBuilder csv =
        new StringBuilder(
            "epoch,train_loss,val_loss,val_auc"
                + (ext ? ",external_loss,external_auc" : "")
                + "\n");
    for (EpochRecord r : o.history()) {
      csv.append(
          String.format(
              Locale.ROOT, "%d,%.6f,%.6f,%.6f", r.epoch(), r.trainLoss(), r.valLoss(), r.valAuc()));
      if (ext) {
        csv.append(String.format(Locale.ROOT, ",%.6f,%.6f", r.externalLoss(), r.externalAuc()));
      }
      csv.append('\n');
    }
    return csv.toString();
  }

  private static void writePlots(Path art, TrainingResult o, String history) {
    double threshold = o.threshold();
    Plots.confusionMatrix(
        o.splits().get(Split.TEST).confusion(),
        String.format(Locale.ROOT, "Test confusion matrix (threshold %.3f)", threshold),
        art.resolve("confusion_matrix.png"));
    Map<String, RocCurve> roc = new LinkedHashMap<>();
    Map<String, PrecisionRecallCurve> pr = new LinkedHashMap<>();
    for (Split s : new Split[] {Split.VAL, Split.TEST}) {
      roc.put(s.key(), o.splits().get(s).roc());
      pr.put(s.key(), o.splits().get(s).pr());
    }
    for (TrainingResult.ExternalScores e : o.external()) {
      roc.put(e.name(), e.metrics().roc());
      pr.put(e.name(), e.metrics().pr());
    }
    Plots.roc(roc, art.resolve("roc_curve.png"));
    Plots.precisionRecall(pr, art.resolve("pr_curve.png"));
    ModelCard card = o.model().card();
    String about = String.format(Locale.ROOT, "%s, %d px", card.modelType(), card.imageSize());
    Plots.trainingCurves(o.history(), about, art.resolve("training_curves.png"));
    Map<String, Calibration.Bins> bins = new LinkedHashMap<>();
    bins.put("test", Calibration.bins(o.test().labels(), o.test().scores()));
    if (!o.external().isEmpty()) {
      TrainingResult.ExternalScores e = o.external().get(0);
      bins.put(e.name(), Calibration.bins(e.labels(), e.scores()));
    }
    Plots.reliability(bins, about, art.resolve("reliability.png"));
    AtomicFiles.writeString(art.resolve("history.csv"), history);
    writeCurves(art, o.splits().get(Split.TEST));
    StringBuilder pred = new StringBuilder("actual,predicted,probability\n");
    for (int i = 0; i < o.test().labels().length; i++) {
      pred.append(Label.of(o.test().labels()[i]).name())
          .append(',')
          .append(o.test().scores()[i] >= threshold ? "PNEUMONIA" : "NORMAL")
          .append(',')
          .append(String.format(Locale.ROOT, "%.6f", o.test().scores()[i]))
          .append('\n');
    }
    AtomicFiles.writeString(art.resolve("test_predictions.csv"), pred.toString());
  }

  /** Plot data for DVC: ROC and PR points of the test split. */
  static void writeCurves(Path art, BinaryMetrics test) {
    StringBuilder roc = new StringBuilder("fpr,tpr,threshold\n");
    RocCurve r = test.roc();
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
    PrecisionRecallCurve p = test.pr();
    for (int i = 0; i < p.recall().length; i++) {
      pr.append(
          String.format(
              Locale.ROOT, "%.6f,%.6f,%.6f%n", p.recall()[i], p.precision()[i], p.thresholds()[i]));
    }
    AtomicFiles.writeString(art.resolve("pr_test.csv"), pr.toString());
  }
}
