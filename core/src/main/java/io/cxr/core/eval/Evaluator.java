package io.cxr.core.eval;

import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.data.DataSource;
import io.cxr.core.data.PreparedDataset;
import io.cxr.core.data.Sample;
import io.cxr.core.data.Sources;
import io.cxr.core.data.Split;
import io.cxr.core.io.AtomicFiles;
import io.cxr.core.io.Json;
import io.cxr.core.model.ModelBundle;
import io.cxr.core.tracking.RunInfo;
import io.cxr.core.tracking.RunStatus;
import io.cxr.core.tracking.TrackedRun;
import io.cxr.core.tracking.Tracker;
import io.cxr.core.train.Predictor;
import io.cxr.core.train.TrainStage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The evaluate stage: a saved model on the prepared test split or on any labelled folder or npz,
 * with the model's own threshold; writes metrics JSON, a Markdown report and plots, and applies the
 * quality gate.
 */
public final class Evaluator {
  private Evaluator() {}

  /** What evaluation found. */
  public record Result(
      Map<String, Double> metrics,
      QualityGate.Result gate,
      String dataName,
      Path metricsFile,
      Path report,
      String table) {}

  /**
   * Evaluates.
   *
   * @param data a Kermany folder or npz, or null for the prepared test split
   * @param out folder for evaluation.json, evaluation.md and plots
   */
  public static Result run(
      CxrConfig cfg, Path modelPath, Path data, Path out, Reporter reporter, Tracker tracker) {
    ModelBundle model = ModelBundle.load(modelPath);
    Map<String, String> prov =
        model.card().provenance() == null ? Map.of() : model.card().provenance();
    TrackedRun run =
        tracker.start(
            cfg.experiment().name(),
            RunInfo.runName(cfg, "evaluate", model.card().modelType()),
            RunInfo.tags("evaluate", model.card().modelType(), prov.get("data_manifest_sha256")),
            null);
    try {
      Result r = evaluate(cfg, model, modelPath, data, out, reporter);
      Map<String, String> params = new LinkedHashMap<>(RunInfo.params(cfg));
      params.put("eval.model", modelPath.toString());
      params.put("eval.data", data == null ? "prepared test split" : data.toString());
      run.logParams(params);
      if (prov.containsKey("tracking_run_id")) {
        run.setTags(Map.of("cxr.model_run_id", prov.get("tracking_run_id")));
      }
      run.setTags(Map.of("gate", r.gate().passed() ? "passed" : "failed"));
      Map<String, Double> m = new LinkedHashMap<>(TrainStage.rounded(r.metrics()));
      m.put("gate_passed", r.gate().passed() ? 1.0 : 0.0);
      run.logMetrics(m, 0);
      for (String f :
          List.of(
              "evaluation.json",
              "evaluation.md",
              "eval_confusion_matrix.png",
              "eval_roc_curve.png",
              "eval_pr_curve.png",
              "config.yaml")) {
        run.logArtifact(out.resolve(f), "evaluation");
      }
      run.end(RunStatus.FINISHED);
      return r;
    } catch (RuntimeException | Error e) {
      run.end(RunStatus.FAILED);
      throw e;
    }
  }

  private static Result evaluate(
      CxrConfig cfg, ModelBundle model, Path modelPath, Path data, Path out, Reporter reporter) {
    int size = model.card().imageSize();
    int[] labels;
    float[] x;
    String dataName;
    if (data == null) {
      PreparedDataset p = PreparedDataset.load(Path.of(cfg.paths().prepared()));
      if (p.imageSize() != size) {
        throw new CxrException(
            "prepared data "
                + p.dir()
                + ": images are "
                + p.imageSize()
                + "x"
                + p.imageSize()
                + " but model "
                + modelPath
                + " expects "
                + size
                + "x"
                + size
                + " (re-run prepare with data.image_size="
                + size
                + ")");
      }
      PreparedDataset.Images test = p.split(Split.TEST);
      labels = test.y();
      x = test.x();
      dataName = "prepared test split (" + p.dir() + ")";
    } else {
      DataSource src = Sources.open(data, false);
      List<Sample> chosen = pick(src);
      labels = new int[chosen.size()];
      x = new float[chosen.size() * size * size];
      final float[] xs = x;
      try (Reporter.Progress bar = reporter.progress("decode", chosen.size())) {
        // in place, in parallel across the cores (one reusable decoder per thread)
        java.util.stream.IntStream.range(0, chosen.size())
            .parallel()
            .forEach(
                i -> {
                  src.load(chosen.get(i), size, xs, i * size * size);
                  bar.step();
                });
      }
      for (int i = 0; i < chosen.size(); i++) {
        labels[i] = chosen.get(i).label();
      }
      dataName = src.describe() + (src.splits().contains(Split.TEST) ? ", test split" : "");
    }
    float[] scores =
        Predictor.scores(model.network(), model.card().normalization(), x, labels.length, size);
    BinaryMetrics bm = BinaryMetrics.of(labels, scores, model.card().threshold());
    Map<String, Double> metrics = new LinkedHashMap<>(bm.flat("test"));
    Double trainF1 = model.card().metrics() == null ? null : model.card().metrics().get("train_f1");
    if (trainF1 != null) {
      metrics.put("train_f1", trainF1);
    }
    metrics.put("threshold", model.card().threshold());
    QualityGate.Result gate = QualityGate.check(cfg.gate(), metrics);

    Plots.confusionMatrix(
        bm.confusion(),
        String.format(Locale.ROOT, "Confusion matrix (threshold %.3f)", model.card().threshold()),
        out.resolve("eval_confusion_matrix.png"));
    Plots.roc(Map.of("test", bm.roc()), out.resolve("eval_roc_curve.png"));
    Plots.precisionRecall(Map.of("test", bm.pr()), out.resolve("eval_pr_curve.png"));
    Path metricsFile = out.resolve("evaluation.json");
    Map<String, Object> json = new LinkedHashMap<>(TrainStage.rounded(metrics));
    json.put("gate_passed", gate.passed() ? 1.0 : 0.0);
    Json.writeJson(metricsFile, json);
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put(
        "model", modelPath + " (" + model.card().modelType() + ", " + size + "x" + size + ")");
    facts.put("data", dataName + ", " + labels.length + " images");
    facts.put(
        "threshold",
        String.format(Locale.ROOT, "%.4f (chosen on validation)", model.card().threshold()));
    if (model.card().provenance() != null) {
      facts.put("git commit", model.card().provenance().getOrDefault("git_commit", "unknown"));
      facts.put(
          "data manifest",
          model.card().provenance().getOrDefault("data_manifest_sha256", "unknown"));
    }
    List<String> images =
        new ArrayList<>(
            List.of("eval_confusion_matrix.png", "eval_roc_curve.png", "eval_pr_curve.png"));
    Path report = out.resolve("evaluation.md");
    AtomicFiles.writeString(
        report, Reports.markdown("cxr evaluation", facts, metrics, List.of("test"), gate, images));
    AtomicFiles.writeString(out.resolve("config.yaml"), ConfigLoader.toYaml(cfg));
    return new Result(
        metrics, gate, dataName, metricsFile, report, Reports.table(metrics, List.of("test")));
  }

  /** The test split of a split layout, else everything. */
  private static List<Sample> pick(DataSource src) {
    if (src.splits().contains(Split.TEST)) {
      return src.samples().stream().filter(s -> s.split() == Split.TEST).toList();
    }
    return src.samples();
  }
}
