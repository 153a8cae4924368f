package io.cxr.core.stage;

import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.data.DataSource;
import io.cxr.core.data.ImageDecoder;
import io.cxr.core.data.PreparedDataset;
import io.cxr.core.data.Sample;
import io.cxr.core.data.SourceKind;
import io.cxr.core.data.Sources;
import io.cxr.core.data.Split;
import io.cxr.core.eval.BinaryMetrics;
import io.cxr.core.eval.Calibration;
import io.cxr.core.eval.MetricMaps;
import io.cxr.core.eval.QualityGate;
import io.cxr.core.io.AtomicFiles;
import io.cxr.core.io.Json;
import io.cxr.core.io.OutputFolder;
import io.cxr.core.model.ModelBundle;
import io.cxr.core.model.PixelCheck;
import io.cxr.core.model.Scorer;
import io.cxr.core.report.Plots;
import io.cxr.core.report.Reports;
import io.cxr.core.tracking.RunInfo;
import io.cxr.core.tracking.RunSpec;
import io.cxr.core.tracking.RunStatus;
import io.cxr.core.tracking.TrackedRun;
import io.cxr.core.tracking.Tracker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code cxr evaluate}: a saved model on the prepared test split or on any labelled folder or npz,
 * with the model's own threshold; writes metrics JSON, a Markdown report and plots, applies the
 * quality gate, and records it all as a run tagged with the model's train run.
 */
public final class EvaluateStage {
  private static final List<String> PLOTS =
      List.of(
          "eval_confusion_matrix.png",
          "eval_roc_curve.png",
          "eval_pr_curve.png",
          "eval_reliability.png");

  private EvaluateStage() {}

  /**
   * What evaluation found.
   *
   * @param test the model's metrics on the scored set at its threshold
   * @param trainF1 the training run's train F1 (from the model card; the gate's overfitting check),
   *     or null when the card has none
   */
  public record Result(
      BinaryMetrics test,
      Double trainF1,
      double threshold,
      QualityGate.Result gate,
      String dataName,
      Path metricsFile,
      Path report) {
    /**
     * The written form (evaluation.json, the run's metrics): {@code test_*}, train F1, threshold.
     */
    public Map<String, Double> flatMetrics() {
      return flat(test, trainF1, threshold);
    }

    /** The metrics as a table. */
    public String table() {
      return Reports.table(flatMetrics(), List.of("test"));
    }

    /** The quality gate's checks as a table. */
    public String gateTable() {
      return Reports.gateTable(gate);
    }
  }

  private static Map<String, Double> flat(BinaryMetrics test, Double trainF1, double threshold) {
    Map<String, Double> metrics = new LinkedHashMap<>(test.flat("test"));
    if (trainF1 != null) {
      metrics.put("train_f1", trainF1);
    }
    metrics.put("threshold", threshold);
    return metrics;
  }

  /** Labelled images to score: the pixels or a way to decode them, and their labels. */
  record Labelled(int[] labels, float[] x, Scorer.ImageLoader loader, String name, boolean jpeg) {}

  /**
   * Evaluates.
   *
   * @param data a Kermany folder or npz, or null for the prepared test split
   * @param out folder for evaluation.json, evaluation.md and plots
   */
  /**
   * Evaluates; with {@code strict}, a model whose training pixels came from another JPEG decoder
   * than this machine's is an error rather than a warning.
   */
  public static Result run(
      CxrConfig cfg,
      Path modelPath,
      Path data,
      Path out,
      boolean strict,
      Reporter reporter,
      Tracker tracker) {
    return run(cfg, modelPath, data, null, out, strict, reporter, tracker);
  }

  /**
   * Evaluates one split of {@code data}.
   *
   * @param split {@code train}, {@code val}, {@code test} or {@code all}; null: the test split of a
   *     source that has splits (an error when it has none but others), the whole of an unsplit set
   */
  public static Result run(
      CxrConfig cfg,
      Path modelPath,
      Path data,
      String split,
      Path out,
      boolean strict,
      Reporter reporter,
      Tracker tracker) {
    ModelBundle model = ModelBundle.load(modelPath);
    Map<String, String> prov =
        model.card().provenance() == null ? Map.of() : model.card().provenance();
    RunSpec spec =
        RunSpec.of(
            cfg.experiment().name(),
            RunInfo.runName(cfg, "evaluate", model.card().modelType().key()),
            RunInfo.tags(
                "evaluate", model.card().modelType().key(), prov.get("data_manifest_sha256")));
    Result result =
        tracker.within(
            spec,
            run -> {
              Result r = evaluate(cfg, model, modelPath, data, split, out, strict, reporter);
              Map<String, String> params = new LinkedHashMap<>(RunInfo.params(cfg));
              params.put("eval.model", modelPath.toString());
              params.put("eval.data", data == null ? "prepared test split" : data.toString());
              run.logParams(params);
              if (prov.containsKey("tracking_run_id")) {
                run.setTags(Map.of("cxr.model_run_id", prov.get("tracking_run_id")));
              }
              run.setTags(Map.of("gate", r.gate().passed() ? "passed" : "failed"));
              Map<String, Double> m = new LinkedHashMap<>(MetricMaps.rounded(r.flatMetrics()));
              m.put("gate_passed", r.gate().passed() ? 1.0 : 0.0);
              run.logMetrics(m, 0);
              for (String f : outputs()) {
                run.logArtifact(out.resolve(f), "evaluation");
              }
              if (!r.gate().passed()) {
                markGateFailed(run, spec.runName(), r.gate());
              }
              return r;
            });
    if (data != null && !isTrainingSource(model, data)) {
      logExternal(tracker, modelPath, data, split, result, reporter);
    }
    return result;
  }

  /**
   * A failed gate shows in MLflow's run list, not only in a tag: the run ends FAILED (the verdict:
   * this model may not be registered), its name says so, and its description (MLflow's note) lists
   * the checks that failed. A passed gate's run ends FINISHED as before.
   */
  static void markGateFailed(TrackedRun run, String runName, QualityGate.Result gate) {
    StringBuilder note = new StringBuilder("Quality gate failed:\n");
    gate.checks().stream()
        .filter(c -> !c.passed())
        .forEach(c -> note.append("- ").append(c.describe().strip()).append('\n'));
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put("mlflow.runName", runName + " (gate failed)");
    tags.put("mlflow.note.content", note.toString());
    run.setTags(tags);
    run.end(RunStatus.FAILED);
  }

  /**
   * Adds an evaluation on data collected elsewhere to the model's own train run as {@code
   * external_*} metrics, so the in-distribution and external figures sit side by side.
   */
  private static void logExternal(
      Tracker tracker, Path modelPath, Path data, String split, Result r, Reporter reporter) {
    Map<String, Double> ext = new LinkedHashMap<>();
    r.flatMetrics()
        .forEach(
            (k, v) -> {
              if (k.startsWith("test_")) {
                ext.put("external_" + k.substring(5), v);
              }
            });
    String id =
        ModelRun.with(
            tracker,
            modelPath,
            "the external metrics",
            reporter,
            run -> {
              run.logMetrics(MetricMaps.rounded(ext), 0);
              run.setTags(
                  Map.of(
                      "cxr.external_data",
                      r.dataName() + (split == null ? "" : " (--split " + split + ")")));
            });
    if (id != null) {
      reporter.info("external_* metrics added to the model's run " + id);
    }
  }

  private static List<String> outputs() {
    List<String> files = new ArrayList<>(List.of("evaluation.json", "evaluation.md"));
    files.addAll(PLOTS);
    files.add("config.yaml");
    return files;
  }

  /** The model's calibrated scores of a labelled set (decoded and scored in batches if files). */
  private static float[] score(ModelBundle model, Labelled set, Reporter reporter) {
    if (set.x() != null) {
      return Scorer.scores(model, set.x(), set.labels().length);
    }
    try (Reporter.Progress bar = reporter.progress("decode", set.labels().length)) {
      return Scorer.decodeAndScore(model, set.labels().length, set.loader(), bar);
    }
  }

  private static Result evaluate(
      CxrConfig cfg,
      ModelBundle model,
      Path modelPath,
      Path data,
      String split,
      Path out,
      boolean strict,
      Reporter reporter) {
    int size = model.card().imageSize();
    if (data == null && split != null) {
      throw new CxrException("--split needs --data (the prepared data is always scored on test)");
    }
    Labelled set =
        data == null
            ? preparedTest(cfg, model, modelPath, reporter)
            : labelled(data, size, model.card().cropOrZero(), split);
    warnIfTrainingData(model, data, reporter);
    if (set.x() == null && set.jpeg()) {
      ImageDecoder.use(cfg.data().decoder());
      PixelCheck.check(model.card(), modelPath.toString(), strict, reporter);
    }
    float[] scores = score(model, set, reporter);
    int[] labels = set.labels();
    BinaryMetrics bm = BinaryMetrics.of(labels, scores, model.card().threshold());
    Double trainF1 = model.card().metrics() == null ? null : model.card().metrics().get("train_f1");
    Map<String, Double> metrics = flat(bm, trainF1, model.card().threshold());
    QualityGate.Result gate = QualityGate.check(cfg.gate(), metrics);

    OutputFolder.claim(out, outputs(), "output folder");
    Plots.confusionMatrix(
        bm.confusion(),
        String.format(Locale.ROOT, "Confusion matrix (threshold %.3f)", model.card().threshold()),
        out.resolve(PLOTS.get(0)));
    Plots.roc(Map.of("test", bm.roc()), out.resolve(PLOTS.get(1)));
    Plots.precisionRecall(Map.of("test", bm.pr()), out.resolve(PLOTS.get(2)));
    Plots.reliability(
        Map.of("test", Calibration.bins(labels, scores)),
        String.format(Locale.ROOT, "%s, %d px", model.card().modelType(), model.card().imageSize()),
        out.resolve(PLOTS.get(3)));
    Path metricsFile = out.resolve("evaluation.json");
    Map<String, Object> json = new LinkedHashMap<>(MetricMaps.rounded(metrics));
    json.put("gate_passed", gate.passed() ? 1.0 : 0.0);
    Json.writeJson(metricsFile, json);
    Path report = out.resolve("evaluation.md");
    AtomicFiles.writeString(
        report,
        Reports.markdown(
            "cxr evaluation",
            facts(model, modelPath, set.name(), labels.length),
            metrics,
            List.of("test"),
            gate,
            PLOTS));
    AtomicFiles.writeString(out.resolve("config.yaml"), ConfigLoader.toYaml(cfg));
    return new Result(bm, trainF1, model.card().threshold(), gate, set.name(), metricsFile, report);
  }

  private static Map<String, String> facts(
      ModelBundle model, Path modelPath, String dataName, int n) {
    int size = model.card().imageSize();
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put(
        "model", modelPath + " (" + model.card().modelType() + ", " + size + "x" + size + ")");
    facts.put("data", dataName + ", " + n + " images");
    facts.put(
        "threshold",
        String.format(Locale.ROOT, "%.4f (chosen on validation)", model.card().threshold()));
    if (model.card().provenance() != null) {
      facts.put("git commit", model.card().provenance().getOrDefault("git_commit", "unknown"));
      facts.put(
          "data manifest",
          model.card().provenance().getOrDefault("data_manifest_sha256", "unknown"));
    }
    return facts;
  }

  private static Labelled preparedTest(
      CxrConfig cfg, ModelBundle model, Path modelPath, Reporter reporter) {
    PreparedDataset p = PreparedDataset.load(Path.of(cfg.paths().prepared()));
    model.card().requireFits(p, modelPath);
    String trainedOn =
        model.card().provenance() == null
            ? null
            : model.card().provenance().get("data_manifest_sha256");
    if (trainedOn != null && !trainedOn.equals(p.manifestSha256())) {
      // prepared again (another seed, other files): the new test split may hold training images
      reporter.warn(
          "the prepared data in "
              + p.dir()
              + " is not the data model "
              + modelPath
              + " was trained on (manifest "
              + p.manifestSha256().substring(0, 12)
              + ", the model's "
              + trainedOn.substring(0, Math.min(12, trainedOn.length()))
              + "): its test split may hold the model's training images; re-run prepare as it was"
              + " or train again");
    }
    PreparedDataset.Images test = p.split(Split.TEST);
    return new Labelled(test.y(), test.x(), null, "prepared test split (" + p.dir() + ")", false);
  }

  /** The test split of a split layout or npz, else every image of the source. */
  /** The split choices of {@code --split}. */
  public static final List<String> SPLITS = List.of("train", "val", "test", "all");

  static Labelled labelled(Path data, int size, double crop, String split) {
    DataSource src = Sources.open(data, false).withCrop(crop);
    if (split != null && !SPLITS.contains(split)) {
      throw new CxrException("--split: expected train, val, test or all, got '" + split + "'");
    }
    List<Sample> chosen;
    String name;
    if (src.splits().isEmpty()) {
      if (split != null && !"all".equals(split)) {
        throw new CxrException(
            "--data "
                + data
                + ": has no split folders or arrays, so no '"
                + split
                + "' split (omit --split to score all of it)");
      }
      chosen = src.samples();
      name = src.describe();
    } else {
      String want = split == null ? "test" : split;
      if (!"all".equals(want) && src.splits().stream().noneMatch(s -> s.key().equals(want))) {
        throw new CxrException(
            "--data "
                + data
                + ": has no "
                + want
                + " split (it has "
                + src.splits().stream().map(Split::key).toList()
                + "); name the one to score with --split, knowing that train and val are what a"
                + " model trained on this data has seen");
      }
      chosen =
          "all".equals(want)
              ? src.samples()
              : src.samples().stream().filter(s -> s.split().key().equals(want)).toList();
      name = src.describe() + ("all".equals(want) ? ", all splits" : ", " + want + " split");
    }
    int[] labels = chosen.stream().mapToInt(Sample::label).toArray();
    return new Labelled(
        labels,
        null,
        (i, x, off) -> src.load(chosen.get(i), size, x, off),
        name,
        src.kind() == SourceKind.FOLDER);
  }

  /** Says so when {@code data} is the source the model was prepared from. */
  private static void warnIfTrainingData(ModelBundle model, Path data, Reporter reporter) {
    if (data != null && isTrainingSource(model, data)) {
      reporter.warn(
          "--data "
              + data
              + " is the source this model was prepared from (its model card's data_source):"
              + " only its held-out split says anything about new images");
    }
  }

  /** Whether {@code data} is the source the model's training data was prepared from. */
  static boolean isTrainingSource(ModelBundle model, Path data) {
    Map<String, String> prov = model.card().provenance();
    if (prov == null) {
      return false;
    }
    boolean same = false;
    try {
      String source = prov.get("data_source");
      same =
          source != null
              && Files.exists(Path.of(source))
              && Files.isSameFile(Path.of(source), data);
      String hash = prov.get("data_source_sha256");
      if (!same && hash != null && Files.isRegularFile(data)) {
        same = hash.equals(io.cxr.core.io.Hashing.sha256(data));
      }
    } catch (java.io.IOException | RuntimeException e) {
      // unreadable: the evaluation itself will say so
    }
    return same;
  }
}
