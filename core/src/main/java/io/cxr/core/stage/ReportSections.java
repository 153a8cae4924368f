package io.cxr.core.stage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import io.cxr.core.Reporter;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.data.PreparedDataset;
import io.cxr.core.data.Split;
import io.cxr.core.eval.BinaryMetrics;
import io.cxr.core.eval.Calibration;
import io.cxr.core.eval.EpochRecord;
import io.cxr.core.eval.PrecisionRecallCurve;
import io.cxr.core.eval.QualityGate;
import io.cxr.core.eval.RocCurve;
import io.cxr.core.io.Hashing;
import io.cxr.core.io.Json;
import io.cxr.core.model.ModelBundle;
import io.cxr.core.model.Saliency;
import io.cxr.core.report.DataPlots;
import io.cxr.core.report.Overlays;
import io.cxr.core.report.Plots;
import io.cxr.core.report.ReportDoc;
import io.cxr.core.report.Reports;
import io.cxr.core.tracking.Provenance;
import io.cxr.core.train.EarlyStopping;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * The content of {@code cxr report}: its sections, with the figures drawn into a staging folder.
 * Section ids are stable (tests and links use them).
 */
final class ReportSections {
  /** Images shown per class in the sample grid, and errors shown per kind. */
  static final int SAMPLES_PER_CLASS = 6;

  static final int ERRORS_PER_KIND = 6;

  /** At most this many source files per class are opened to read their sizes (headers only). */
  static final int SIZE_SAMPLE = 1500;

  /** A scored set: a name, its labels and calibrated scores, and the images (for explanations). */
  record Scored(
      String key,
      String name,
      String description,
      int[] labels,
      float[] scores,
      float[] x,
      boolean external) {}

  private final CxrConfig cfg;
  private final ModelBundle model;
  private final Path modelPath;
  private final PreparedDataset data;
  private final JsonNode manifest;
  private final Path staging;
  private final int size;

  ReportSections(
      CxrConfig cfg,
      ModelBundle model,
      Path modelPath,
      PreparedDataset data,
      JsonNode manifest,
      Path staging) {
    this.cfg = cfg;
    this.model = model;
    this.modelPath = modelPath;
    this.data = data;
    this.manifest = manifest;
    this.staging = staging;
    this.size = data.imageSize();
  }

  // ---------------------------------------------------------------- data

  List<ReportDoc.Section> data() {
    return List.of(overview(), images(), quality());
  }

  private ReportDoc.Section overview() {
    List<ReportDoc.Block> b = new ArrayList<>();
    JsonNode src = manifest.path("source");
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put("source", src.path("path").asText() + " (" + src.path("kind").asText() + ")");
    facts.put("source images", src.path("images").asText());
    facts.put("prepared folder", data.dir().toString());
    facts.put("prepared image size", size + " x " + size + " px, grayscale, values in [0, 1]");
    if (data.crop() > 0) {
      facts.put(
          "crop",
          String.format(
              Locale.ROOT,
              "%.0f%% of the width and of the height cut off each side before resizing",
              data.crop() * 100));
    }
    facts.put("split seed", manifest.path("seed").asText());
    facts.put("JPEG decoder", src.path("decoder").asText("-"));
    facts.put("manifest sha256", data.manifestSha256());
    b.add(new ReportDoc.Facts(facts));
    List<List<String>> rows = new ArrayList<>();
    Map<String, int[]> balance = new LinkedHashMap<>();
    for (Split s : Split.values()) {
      JsonNode sp = manifest.path("splits").path(s.key());
      if (sp.isMissingNode()) {
        continue;
      }
      int n = sp.path("count").asInt();
      int normal = sp.path("NORMAL").asInt();
      int pneu = sp.path("PNEUMONIA").asInt();
      balance.put(s.key(), new int[] {normal, pneu});
      rows.add(
          List.of(
              s.key(),
              Integer.toString(n),
              Integer.toString(normal),
              Integer.toString(pneu),
              n == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * pneu / n),
              sp.path("patients").asText("-"),
              sp.path("dropped_duplicates").asText("0"),
              sp.path("origin").asText("-")));
    }
    b.add(
        new ReportDoc.Table(
            "Images, classes and patients per split",
            List.of(
                "split",
                "images",
                "NORMAL",
                "PNEUMONIA",
                "PNEUMONIA share",
                "patients",
                "duplicates dropped",
                "origin"),
            rows));
    DataPlots.classBalance(balance, shortSource(), staging.resolve("class_balance.png"));
    b.add(new ReportDoc.Figure("class_balance.png", "Images per class and split", 560));
    return new ReportDoc.Section("data-overview", "Data: splits, classes, patients", b);
  }

  private ReportDoc.Section images() {
    List<ReportDoc.Block> b = new ArrayList<>();
    PreparedDataset.Images train = data.split(Split.TRAIN);
    int px = size * size;
    float[] blank = new float[px];
    sampleSheet(b, train, blank);
    // mean image per class and where they differ
    float[] trainX = train.x(); // read once (the prepared file, or the array)
    float[][] mean = new float[2][px];
    int[] count = new int[2];
    for (int i = 0; i < train.n(); i++) {
      int c = train.y()[i];
      count[c]++;
      for (int p = 0; p < px; p++) {
        mean[c][p] += trainX[i * px + p];
      }
    }
    float[] both = new float[px];
    float[] diff = new float[px];
    float maxDiff = 0;
    for (int p = 0; p < px; p++) {
      for (int c = 0; c < 2; c++) {
        mean[c][p] /= Math.max(1, count[c]);
      }
      both[p] = (mean[0][p] + mean[1][p]) / 2;
      diff[p] = Math.abs(mean[1][p] - mean[0][p]);
      maxDiff = Math.max(maxDiff, diff[p]);
    }
    for (int p = 0; p < px; p++) {
      diff[p] = maxDiff > 0 ? diff[p] / maxDiff : 0;
    }
    Overlays.contactSheet(
        List.of(
            new Overlays.Panel(mean[0], blank, size, "mean NORMAL (" + count[0] + ")"),
            new Overlays.Panel(mean[1], blank, size, "mean PNEUMONIA (" + count[1] + ")"),
            new Overlays.Panel(
                both, diff, size, String.format(Locale.ROOT, "|difference|, max %.3f", maxDiff))),
        3,
        "Mean training image per class",
        staging.resolve("mean_images.png"));
    b.add(
        new ReportDoc.Figure(
            "mean_images.png",
            "Mean training image per class, and where the means differ (heat: |PNEUMONIA -"
                + " NORMAL|, scaled to its maximum)",
            760));
    DataPlots.intensities(trainX, train.y(), px, "train split", staging.resolve("intensities.png"));
    b.add(
        new ReportDoc.Figure(
            "intensities.png",
            "Intensity distributions per class (train split, prepared pixels): all pixels, and"
                + " each image's mean",
            1040));
    sourceSizes(b);
    return new ReportDoc.Section("data-images", "Data: images and intensities", b);
  }

  /** A seeded draw of training images of each class, one row per class. */
  private void sampleSheet(List<ReportDoc.Block> b, PreparedDataset.Images train, float[] blank) {
    // sample grid: a seeded draw of each class
    List<Overlays.Panel> panels = new ArrayList<>();
    for (int c = 0; c < 2; c++) {
      int[] idx = indicesOf(train.y(), c);
      shuffle(idx, cfg.seed());
      for (int k = 0; k < Math.min(SAMPLES_PER_CLASS, idx.length); k++) {
        panels.add(
            new Overlays.Panel(
                train.image(idx[k]), blank, size, DataPlots.CLASSES.get(c) + "  train #" + idx[k]));
      }
    }
    Overlays.contactSheet(
        panels,
        SAMPLES_PER_CLASS,
        "Sample training images (seeded draw), NORMAL above, PNEUMONIA below",
        staging.resolve("samples.png"));
    b.add(new ReportDoc.Figure("samples.png", "Sample training images per class", 1100));
  }

  /** Width and height of up to {@value #SIZE_SAMPLE} source files per class, from their headers. */
  private static Map<String, List<double[]>> dimensions(Path root, Path csv) throws IOException {
    Map<String, List<double[]>> dims = new LinkedHashMap<>();
    DataPlots.CLASSES.forEach(c -> dims.put(c, new ArrayList<>()));
    List<Map<String, String>> rows = readCsv(csv);
    for (String c : DataPlots.CLASSES) {
      List<Map<String, String>> ofClass =
          rows.stream().filter(r -> c.equals(r.get("label"))).toList();
      int step = Math.max(1, ofClass.size() / SIZE_SAMPLE);
      for (int i = 0; i < ofClass.size(); i += step) {
        double[] wh = dimensions(root.resolve(ofClass.get(i).get("id")));
        if (wh != null) {
          dims.get(c).add(wh);
        }
      }
    }
    return dims;
  }

  /** Source image sizes per class: from the JPEG headers of a folder source, else the npz's. */
  private void sourceSizes(List<ReportDoc.Block> b) {
    JsonNode src = manifest.path("source");
    Path root = Path.of(src.path("path").asText());
    if (!"folder".equals(src.path("kind").asText()) || !Files.isDirectory(root)) {
      b.add(
          new ReportDoc.Text(
              "Source image sizes: "
                  + ("folder".equals(src.path("kind").asText())
                      ? "the source folder " + root + " is not here, so its sizes are not shown."
                      : "an npz holds images of one size; prepare made them " + size + " px.")));
      return;
    }
    Path csv = data.dir().resolve("samples.csv");
    Map<String, List<double[]>> dims;
    try {
      dims = dimensions(root, csv);
    } catch (IOException | RuntimeException e) {
      b.add(new ReportDoc.Text("Source image sizes: cannot read " + csv + "."));
      return;
    }
    Map<String, double[]> widths = new LinkedHashMap<>();
    Map<String, double[]> heights = new LinkedHashMap<>();
    List<List<String>> rows = new ArrayList<>();
    for (var e : dims.entrySet()) {
      double[] w = e.getValue().stream().mapToDouble(d -> d[0]).sorted().toArray();
      double[] h = e.getValue().stream().mapToDouble(d -> d[1]).sorted().toArray();
      widths.put(e.getKey(), w);
      heights.put(e.getKey(), h);
      rows.add(
          List.of(
              e.getKey(),
              Integer.toString(w.length),
              range(w),
              range(h),
              String.format(Locale.ROOT, "%.2f", medianRatio(e.getValue()))));
    }
    b.add(
        new ReportDoc.Table(
            "Source image sizes (from the JPEG headers; up to " + SIZE_SAMPLE + " files per class)",
            List.of(
                "class",
                "files read",
                "width min / median / max",
                "height min / median / max",
                "median width / height"),
            rows));
    DataPlots.histogram(
        widths, "Source image width per class", "width (px)", 20, staging.resolve("widths.png"));
    DataPlots.histogram(
        heights,
        "Source image height per class",
        "height (px)",
        20,
        staging.resolve("heights.png"));
    b.add(
        new ReportDoc.Gallery(
            List.of(
                new ReportDoc.Figure("widths.png", "Source image widths per class", 520),
                new ReportDoc.Figure("heights.png", "Source image heights per class", 520))));
  }

  private ReportDoc.Section quality() {
    List<ReportDoc.Block> b = new ArrayList<>();
    JsonNode dropped = manifest.path("dropped_duplicates");
    b.add(
        new ReportDoc.Text(
            dropped.size()
                + " image(s) were dropped because an identical image sits in another split"
                + " (data.validation.cross_split_duplicates="
                + manifest
                    .path("data_config")
                    .path("validation")
                    .path("cross_split_duplicates")
                    .asText(cfg.data().validation().crossSplitDuplicates().key())
                + ")."));
    if (dropped.size() > 0) {
      List<List<String>> rows = new ArrayList<>();
      for (int i = 0; i < Math.min(25, dropped.size()); i++) {
        JsonNode d = dropped.get(i);
        rows.add(List.of(d.isTextual() ? d.asText() : Json.toJson(d)));
      }
      b.add(
          new ReportDoc.Table(
              "Dropped duplicates" + (dropped.size() > 25 ? " (first 25)" : ""),
              List.of("entry"),
              rows));
    }
    List<List<String>> warnings = new ArrayList<>();
    manifest.path("warnings").forEach(w -> warnings.add(List.of(w.asText())));
    b.add(
        warnings.isEmpty()
            ? new ReportDoc.Text("prepare recorded no warnings.")
            : new ReportDoc.Table("Warnings recorded by prepare", List.of("warning"), warnings));
    return new ReportDoc.Section("data-quality", "Data: duplicates and warnings", b);
  }

  // ---------------------------------------------------------------- results

  List<ReportDoc.Section> results(List<Scored> sets, Reporter reporter) {
    List<ReportDoc.Section> out = new ArrayList<>();
    out.add(training());
    Map<String, Double> metrics = new LinkedHashMap<>();
    Map<String, RocCurve> rocs = new LinkedHashMap<>();
    Map<String, PrecisionRecallCurve> prs = new LinkedHashMap<>();
    Map<String, Calibration.Bins> bins = new LinkedHashMap<>();
    List<ReportDoc.Figure> confusions = new ArrayList<>();
    List<String> columns = new ArrayList<>();
    double threshold = model.card().threshold();
    int k = 0;
    for (Scored s : sets) {
      BinaryMetrics bm = BinaryMetrics.of(s.labels(), s.scores(), threshold);
      metrics.putAll(bm.flat(s.key()));
      columns.add(s.key());
      rocs.put(s.name(), bm.roc());
      prs.put(s.name(), bm.pr());
      bins.put(s.name(), Calibration.bins(s.labels(), s.scores()));
      String file = "confusion_" + k + ".png";
      Plots.confusionMatrix(
          bm.confusion(),
          String.format(Locale.ROOT, "%s (threshold %.3f)", s.name(), threshold),
          staging.resolve(file));
      confusions.add(new ReportDoc.Figure(file, "Confusion matrix: " + s.description(), 360));
      k++;
    }
    List<ReportDoc.Block> b = new ArrayList<>();
    b.add(scoredSets(sets));
    if (sets.stream().noneMatch(Scored::external)) {
      b.add(
          new ReportDoc.Text(
              "No external set was scored: validation and test are carved from the same source as"
                  + " the training data, so they say little about images collected elsewhere. Add"
                  + " one with cxr report --external <folder|npz>."));
    }
    List<String> header = new ArrayList<>(List.of("metric"));
    sets.forEach(s -> header.add(s.name()));
    b.add(
        new ReportDoc.Table(
            String.format(Locale.ROOT, "Metrics at the model's threshold %.4f", threshold),
            header,
            Reports.rowsOf(metrics, columns)));
    Plots.roc(rocs, staging.resolve("roc.png"));
    Plots.precisionRecall(prs, staging.resolve("pr.png"));
    b.add(
        new ReportDoc.Gallery(
            List.of(
                new ReportDoc.Figure("roc.png", "ROC curves", 520),
                new ReportDoc.Figure("pr.png", "Precision-recall curves", 520))));
    b.add(new ReportDoc.Gallery(confusions));
    out.add(new ReportDoc.Section("results", "Results: validation, test and external sets", b));
    out.add(shift(sets));
    out.add(thresholdAndCalibration(bins, metrics, columns, sets));
    out.add(gate(metrics));
    out.add(errors(sets, reporter));
    return out;
  }

  /** The scored sets with their sizes per class. */
  private static ReportDoc.Table scoredSets(List<Scored> sets) {
    List<List<String>> setRows = new ArrayList<>();
    for (Scored s : sets) {
      int pos = Arrays.stream(s.labels()).sum();
      setRows.add(
          List.of(
              s.name(),
              s.description(),
              Integer.toString(s.labels().length),
              Integer.toString(s.labels().length - pos),
              Integer.toString(pos)));
    }
    return new ReportDoc.Table(
        "Scored sets", List.of("set", "what", "images", "NORMAL", "PNEUMONIA"), setRows);
  }

  /** Figures compared in and out of distribution in the shift section. */
  private static final List<String> SHIFT_FIGURES =
      List.of("auc", "accuracy", "sensitivity", "specificity", "ece", "log_loss");

  /**
   * Dataset shift: the in-distribution splits (validation, test) beside each external set, at the
   * model's threshold; the AUC gap against validation (what {@code train.shift_margin} warns on);
   * the reliability of each side. The external sets' worst mistakes are explained in the errors
   * section.
   */
  ReportDoc.Section shift(List<Scored> sets) {
    List<ReportDoc.Block> b = new ArrayList<>();
    List<Scored> external = sets.stream().filter(Scored::external).toList();
    if (external.isEmpty()) {
      b.add(
          new ReportDoc.Text(
              "No external set: nothing here shows how the model does on films collected"
                  + " elsewhere. List labelled folders or npz files from other collections in"
                  + " data.external (then run prepare and train), or pass cxr report --external."));
      return new ReportDoc.Section("shift", "Dataset shift: in-distribution vs external", b);
    }
    double threshold = model.card().threshold();
    double valAuc = Double.NaN;
    double margin = cfg.train().shiftMargin();
    int shifted = 0;
    List<List<String>> rows = new ArrayList<>();
    Map<String, Calibration.Bins> inBins = new LinkedHashMap<>();
    Map<String, Calibration.Bins> outBins = new LinkedHashMap<>();
    for (Scored s : sets) {
      BinaryMetrics bm = BinaryMetrics.of(s.labels(), s.scores(), threshold);
      Map<String, Double> flat = bm.flat("m");
      if (s.key().equals("val")) {
        valAuc = bm.roc().auc();
      }
      List<String> row = new ArrayList<>(List.of(s.name(), s.external() ? "external" : "in"));
      SHIFT_FIGURES.forEach(f -> row.add(fmt(flat.get("m_" + f))));
      row.add(s.external() ? fmt(valAuc - bm.roc().auc()) : "");
      if (s.external() && valAuc - bm.roc().auc() > margin) {
        shifted++;
      }
      rows.add(row);
      (s.external() ? outBins : inBins).put(s.name(), Calibration.bins(s.labels(), s.scores()));
    }
    List<String> header = new ArrayList<>(List.of("set", "distribution"));
    header.addAll(SHIFT_FIGURES);
    header.add("AUC gap to validation");
    shiftVerdict(b, shifted, margin);
    b.add(
        new ReportDoc.Table(
            String.format(Locale.ROOT, "In distribution vs external, threshold %.4f", threshold),
            header,
            rows));
    Plots.reliability(inBins, "in distribution", staging.resolve("shift_reliability_in.png"));
    Plots.reliability(outBins, "external", staging.resolve("shift_reliability_external.png"));
    b.add(
        new ReportDoc.Gallery(
            List.of(
                new ReportDoc.Figure(
                    "shift_reliability_in.png", "Reliability in distribution", 520),
                new ReportDoc.Figure(
                    "shift_reliability_external.png", "Reliability on the external sets", 520))));
    b.add(
        new ReportDoc.Text(
            "The most confident mistakes on "
                + external.get(0).name()
                + ", with their Grad-CAM maps, are in the errors section below."));
    return new ReportDoc.Section("shift", "Dataset shift: in-distribution vs external", b);
  }

  /** Whether any external set falls below validation by the margin; what was chosen on them. */
  private void shiftVerdict(List<ReportDoc.Block> b, int shifted, double margin) {
    b.add(
        new ReportDoc.Text(
            String.format(
                Locale.ROOT,
                "Validation and test are carved from the training source; the external sets were"
                    + " collected elsewhere. %s",
                shifted > 0
                    ? shifted
                        + " external set(s) fall more than train.shift_margin "
                        + fmt(margin)
                        + " below validation AUC: validation overstates how the model does on"
                        + " other films; judge it by the external rows."
                    : "No external set falls more than train.shift_margin "
                        + fmt(margin)
                        + " below validation AUC.")));
    String chosen =
        model.card().provenance() == null
            ? null
            : model.card().provenance().get("external_chosen_on");
    if (chosen != null && !"nothing".equals(chosen)) {
      b.add(
          new ReportDoc.Text(
              "This model's "
                  + chosen.replace(",", ", ").replace('_', ' ')
                  + " were chosen on the prepared external sets (model card:"
                  + " external_chosen_on): on those sets the figures that depend on it are"
                  + " optimistic; AUC is not affected by a threshold or a calibration."));
    }
  }

  private ReportDoc.Section training() {
    List<ReportDoc.Block> b = new ArrayList<>();
    JsonNode conf = modelConfig();
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put("model", model.card().modelType() + ", " + size + " x " + size + " px");
    long params = model.networks().stream().mapToLong(n -> n.numParams()).sum();
    facts.put(
        "parameters",
        model.networks().size() == 1
            ? String.format(Locale.ROOT, "%,d", params)
            : String.format(Locale.ROOT, "%,d (%d networks)", params, model.networks().size()));
    facts.put("made", model.card().createdAt());
    JsonNode train = conf.path("train");
    facts.put(
        "training",
        String.format(
            Locale.ROOT,
            "%s epochs max, batch %s, %s at %s, L2 %s, class weights %s, augmentation %s",
            train.path("epochs").asText("?"),
            train.path("batch_size").asText("?"),
            train.path("optimizer").asText("?"),
            train.path("learning_rate").asText("?"),
            train.path("l2").asText("?"),
            train.path("class_weights").asText("?"),
            train.path("augment").path("enabled").asText("?")));
    b.add(new ReportDoc.Facts(facts));
    Path history =
        Path.of(conf.path("paths").path("artifacts").asText(cfg.paths().artifacts()))
            .resolve(conf.path("experiment").path("name").asText(cfg.experiment().name()))
            .resolve("history.csv");
    String notOurs =
        foreignHistory(history, model.card().provenance().get(TrainStage.HISTORY_SHA256));
    List<EpochRecord> epochs = notOurs == null ? readHistory(history, train) : List.of();
    if (notOurs != null) {
      b.add(new ReportDoc.Text(notOurs));
    } else if (epochs.isEmpty()) {
      b.add(
          new ReportDoc.Text(
              "No training history at "
                  + history
                  + " (the train run's artifacts folder): the curves are not shown."));
    } else {
      Plots.trainingCurves(
          epochs,
          model.card().modelType() + ", " + size + " px",
          staging.resolve("training_curves.png"));
      b.add(
          new ReportDoc.Figure(
              "training_curves.png",
              "Loss per epoch (left) and validation AUC with each new best epoch (right), from "
                  + history,
              1040));
    }
    return new ReportDoc.Section("training", "Training", b);
  }

  private ReportDoc.Section thresholdAndCalibration(
      Map<String, Calibration.Bins> bins,
      Map<String, Double> metrics,
      List<String> columns,
      List<Scored> sets) {
    List<ReportDoc.Block> b = new ArrayList<>();
    b.add(new ReportDoc.Facts(thresholdFacts(metrics)));
    List<List<String>> rows = new ArrayList<>();
    for (int i = 0; i < sets.size(); i++) {
      String c = columns.get(i);
      rows.add(
          List.of(
              sets.get(i).name(),
              fmt(metrics.get(c + "_ece")),
              fmt(metrics.get(c + "_brier")),
              fmt(metrics.get(c + "_specificity")),
              fmt(metrics.get(c + "_sensitivity"))));
    }
    b.add(
        new ReportDoc.Table(
            "Calibration and the decisions it leads to",
            List.of(
                "set",
                "expected calibration error (15 bins)",
                "Brier score",
                "specificity",
                "sensitivity"),
            rows));
    Plots.reliability(
        bins, model.card().modelType() + ", " + size + " px", staging.resolve("reliability.png"));
    b.add(
        new ReportDoc.Figure(
            "reliability.png",
            "Reliability diagram: observed PNEUMONIA share against mean predicted P(PNEUMONIA)"
                + " per bin; the diagonal is perfect calibration",
            680));
    return new ReportDoc.Section("threshold-calibration", "Threshold and calibration", b);
  }

  /** How the threshold was chosen and the calibration fitted, with validation's ECE. */
  private Map<String, String> thresholdFacts(Map<String, Double> metrics) {
    JsonNode train = modelConfig().path("train");
    String rule = train.path("threshold").asText("?");
    String how =
        switch (rule) {
          case "youden" ->
              "the point of the validation ROC curve that maximises sensitivity +"
                  + " specificity - 1 (Youden's J)";
          case "f1" -> "the validation score that maximises F1";
          case "sensitivity" ->
              "the highest threshold whose validation sensitivity reaches "
                  + train.path("target_sensitivity").asText("?");
          case "fixed" -> "fixed by train.fixed_threshold";
          default -> "train.threshold=" + rule;
        };
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put(
        "threshold",
        String.format(
            Locale.ROOT,
            "%.4f on calibrated P(PNEUMONIA): %s (train.threshold=%s)",
            model.card().threshold(),
            how,
            rule));
    facts.put("calibration", train.path("calibration").asText("none"));
    facts.put(
        "temperature / bias",
        String.format(
            Locale.ROOT,
            "%.4f / %.4f (P = sigmoid(logit / T + b), fitted on validation by minimum log-loss)",
            model.card().temperatureOrOne(),
            model.card().calibrationBiasOrZero()));
    Double before =
        model.card().metrics() == null ? null : model.card().metrics().get("val_ece_uncalibrated");
    if (before != null) {
      facts.put(
          "validation ECE",
          String.format(
              Locale.ROOT,
              "%.4f before calibration, %.4f after",
              before,
              metrics.getOrDefault("val_ece", Double.NaN)));
    }
    return facts;
  }

  private ReportDoc.Section gate(Map<String, Double> metrics) {
    Map<String, Double> m = new LinkedHashMap<>();
    metrics.forEach(
        (k, v) -> {
          if (k.startsWith("test_")) { // the prepared test split, as evaluate scores it
            m.put(k, v);
          }
        });
    Double trainF1 = model.card().metrics() == null ? null : model.card().metrics().get("train_f1");
    if (trainF1 != null) {
      m.put("train_f1", trainF1);
    }
    QualityGate.Result gate = QualityGate.check(cfg.gate(), m);
    List<List<String>> rows = new ArrayList<>();
    for (QualityGate.Check c : gate.checks()) {
      rows.add(
          List.of(
              c.name(),
              c.value() == null ? "missing" : fmt(c.value()),
              c.op() + " " + fmt(c.bound()),
              c.passed() ? "pass" : "FAIL"));
    }
    return new ReportDoc.Section(
        "quality-gate",
        "Quality gate: " + (gate.passed() ? "PASSED" : "FAILED"),
        List.of(
            new ReportDoc.Text(
                "The gate that cxr evaluate and cxr register apply, on the prepared test split,"
                    + " with this configuration's bounds (gate.*)."),
            new ReportDoc.Table(
                "Quality gate on the prepared test split",
                List.of("check", "value", "bound", "result"),
                rows)));
  }

  /**
   * The most confident false positives and false negatives of the test set (and of the first
   * external set), each explained by every method the model allows: Grad-CAM and occlusion for a
   * CNN (they disagree on this model; docs/model.md, "Explanations", measures which is faithful),
   * occlusion for the dense model.
   */
  private ReportDoc.Section errors(List<Scored> sets, Reporter reporter) {
    List<ReportDoc.Block> b = new ArrayList<>();
    List<String> methods =
        "grad-cam".equals(Saliency.method(model))
            ? List.of("grad-cam", "occlusion")
            : List.of("occlusion");
    b.add(
        new ReportDoc.Text(
            "The images the model is most sure about and wrong on, with maps of the evidence for"
                + " PNEUMONIA over each (bright: raises the score) by "
                + String.join(" and by ", methods)
                + ". Under each: the calibrated P(PNEUMONIA) and the image's index in its set."));
    List<Scored> explained = new ArrayList<>();
    sets.stream().filter(s -> s.key().equals("test")).forEach(explained::add);
    sets.stream().filter(Scored::external).findFirst().ifPresent(explained::add);
    int n = 0;
    double threshold = model.card().threshold();
    for (Scored s : explained) {
      for (int label = 0; label < 2; label++) {
        List<Integer> wrong = mostConfidentErrors(s, label, threshold);
        String what = label == 0 ? "false positives" : "false negatives";
        if (wrong.isEmpty()) {
          b.add(new ReportDoc.Text(s.name() + ": no " + what + "."));
          continue;
        }
        List<ReportDoc.Figure> figures = new ArrayList<>();
        for (String method : methods) {
          figures.add(errorSheet(s, wrong, method, label, "errors_" + n++ + ".png"));
        }
        b.add(new ReportDoc.Gallery(figures));
      }
    }
    reporter.info("report: " + n + " error sheet(s) explained by " + String.join(", ", methods));
    return new ReportDoc.Section("errors", "Most confident errors, explained", b);
  }

  /** One sheet of a set's most confident errors of one class, explained by one method. */
  private ReportDoc.Figure errorSheet(
      Scored s, List<Integer> wrong, String method, int label, String file) {
    String what = label == 0 ? "false positives" : "false negatives";
    int px = size * size;
    List<Overlays.Panel> panels = new ArrayList<>();
    for (int i : wrong) {
      float[] img = Arrays.copyOfRange(s.x(), i * px, (i + 1) * px);
      Saliency.Map map = Saliency.explain(model, img, method);
      panels.add(
          new Overlays.Panel(
              img, map.values(), size, String.format(Locale.ROOT, "P=%.3f  #%d", map.score(), i)));
    }
    Overlays.contactSheet(
        panels,
        panels.size(),
        method + (panels.size() > 2 ? ": " + s.name() + ", most confident " + what : ""),
        staging.resolve(file));
    return new ReportDoc.Figure(
        file,
        s.name()
            + ": the "
            + wrong.size()
            + " most confident "
            + what
            + (label == 0 ? " (NORMAL called PNEUMONIA)" : " (PNEUMONIA called NORMAL)")
            + ", "
            + method,
        Math.max(360, 1100 * panels.size() / ERRORS_PER_KIND));
  }

  /** The indices of {@code label}'s images called the other class, most confident first. */
  static List<Integer> mostConfidentErrors(Scored s, int label, double threshold) {
    Comparator<Integer> order =
        Comparator.comparingDouble(i -> label == 0 ? -s.scores()[i] : s.scores()[i]);
    return IntStream.range(0, s.labels().length)
        .filter(i -> s.labels()[i] == label)
        .filter(i -> label == 0 ? s.scores()[i] >= threshold : s.scores()[i] < threshold)
        .boxed()
        .sorted(order)
        .limit(ERRORS_PER_KIND)
        .toList();
  }

  // ---------------------------------------------------------------- provenance

  ReportDoc.Section provenance() {
    List<ReportDoc.Block> b = new ArrayList<>();
    Map<String, String> facts = new LinkedHashMap<>();
    Map<String, String> prov =
        model.card().provenance() == null ? Map.of() : model.card().provenance();
    facts.put("model file", modelPath.toString());
    prov.forEach((k, v) -> facts.put("model: " + k, v));
    String trainedOn = prov.get("data_manifest_sha256");
    facts.put(
        "data hash check",
        trainedOn == null
            ? "the model card records no data manifest"
            : trainedOn.equals(data.manifestSha256())
                ? "the model was trained on this prepared data (manifest sha256 matches)"
                : "the model was trained on other prepared data (manifest "
                    + trainedOn
                    + ", this one "
                    + data.manifestSha256()
                    + "): its validation and test figures here are not the ones it was selected"
                    + " on");
    facts.put("report: cxr version", Provenance.version());
    facts.put("report: git commit", Provenance.gitCommit());
    facts.put("report: ND4J backend", Provenance.backend());
    facts.put("report: Java", System.getProperty("java.version"));
    b.add(new ReportDoc.Facts(facts));
    b.add(new ReportDoc.Text("The model's resolved configuration (from model.zip):"));
    b.add(new ReportDoc.Code(model.card().config() == null ? "(none)" : model.card().config()));
    return new ReportDoc.Section("provenance", "Provenance", b);
  }

  // ---------------------------------------------------------------- helpers

  private JsonNode modelConfig() {
    try {
      return model.card().config() == null
          ? Json.YAML.createObjectNode()
          : Json.YAML.readTree(model.card().config());
    } catch (IOException e) {
      return Json.YAML.createObjectNode();
    }
  }

  /**
   * Why {@code csv} is not this model's history (null when it is, or is missing): the model card
   * names the SHA-256 of the history its training wrote; a file of another training (the folder
   * holds the last one trained there, or a committed one) is not drawn as this model's curves.
   */
  static String foreignHistory(Path csv, String expectedSha256) {
    if (!Files.isRegularFile(csv)) {
      return null;
    }
    if (expectedSha256 == null) {
      return "The model does not name its training history (it was trained before cxr recorded"
          + " it), so "
          + csv
          + " may be another training's: the curves are not shown.";
    }
    try {
      if (Hashing.sha256(csv).equals(expectedSha256)) {
        return null;
      }
    } catch (RuntimeException e) {
      // unreadable: said below like a foreign file
    }
    return csv
        + " is the history of another training (its SHA-256 differs from the one in the model's"
        + " card): the curves are not shown. Report from the workspace that trained the model.";
  }

  /** history.csv (epoch, train_loss, val_loss, val_auc); new bests by early stopping's rule. */
  /**
   * The epochs of history.csv, each new best epoch marked by the model's own early-stopping rule
   * ({@code train.early_stopping}: metric, set and min_delta from the card's config); empty when
   * the file is missing or unreadable.
   */
  static List<EpochRecord> readHistory(Path csv, JsonNode train) {
    if (!Files.isRegularFile(csv)) {
      return List.of();
    }
    JsonNode es = train.path("early_stopping");
    List<EpochRecord> out = new ArrayList<>();
    try {
      List<String> lines = Files.readAllLines(csv);
      List<String> head = List.of(lines.get(0).split(","));
      int e = head.indexOf("epoch");
      int tl = head.indexOf("train_loss");
      int vl = head.indexOf("val_loss");
      int va = head.indexOf("val_auc");
      int xl = head.indexOf("external_loss");
      int xa = head.indexOf("external_auc");
      if (e < 0 || tl < 0 || vl < 0 || va < 0) {
        return List.of();
      }
      for (String l : lines.subList(1, lines.size())) {
        String[] c = l.split(",");
        out.add(
            new EpochRecord(
                Integer.parseInt(c[e]),
                lines.size() - 1,
                Double.parseDouble(c[tl]),
                Double.parseDouble(c[vl]),
                Double.parseDouble(c[va]),
                0,
                0,
                false,
                1,
                xl >= 0 && xl < c.length ? Double.parseDouble(c[xl]) : Double.NaN,
                xa >= 0 && xa < c.length ? Double.parseDouble(c[xa]) : Double.NaN));
      }
    } catch (IOException | RuntimeException ex) {
      return List.of();
    }
    return EarlyStopping.replay(
        out,
        es.path("min_delta").asDouble(0),
        "log_loss".equals(es.path("metric").asText("auc")),
        "external".equals(es.path("on").asText("val")));
  }

  private String shortSource() {
    String p = manifest.path("source").path("path").asText();
    return Path.of(p).getFileName() + ", " + size + " px";
  }

  private static int[] indicesOf(int[] y, int c) {
    return IntStream.range(0, y.length).filter(i -> y[i] == c).toArray();
  }

  private static void shuffle(int[] a, long seed) {
    Random r = new Random(seed);
    for (int i = a.length - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /** Width and height from the image header (no decoding), or null when unreadable. */
  static double[] dimensions(Path file) {
    try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
      if (in == null) {
        return null;
      }
      var readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        return null;
      }
      ImageReader r = readers.next();
      try {
        r.setInput(in, true, true);
        return new double[] {r.getWidth(0), r.getHeight(0)};
      } finally {
        r.dispose();
      }
    } catch (IOException e) {
      return null;
    }
  }

  private static List<Map<String, String>> readCsv(Path csv) throws IOException {
    CsvMapper mapper = new CsvMapper();
    try (MappingIterator<Map<String, String>> it =
        mapper
            .readerFor(Map.class)
            .with(CsvSchema.emptySchema().withHeader())
            .readValues(csv.toFile())) {
      return it.readAll();
    }
  }

  private static String range(double[] sorted) {
    if (sorted.length == 0) {
      return "-";
    }
    return String.format(
        Locale.ROOT,
        "%.0f / %.0f / %.0f",
        sorted[0],
        sorted[sorted.length / 2],
        sorted[sorted.length - 1]);
  }

  private static double medianRatio(List<double[]> dims) {
    double[] r = dims.stream().mapToDouble(d -> d[0] / d[1]).sorted().toArray();
    return r.length == 0 ? Double.NaN : r[r.length / 2];
  }

  private static String fmt(Double v) {
    return v == null || v.isNaN() ? "-" : String.format(Locale.ROOT, "%.4f", v);
  }
}
