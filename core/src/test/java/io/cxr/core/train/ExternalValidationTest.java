package io.cxr.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.TestData;
import io.cxr.core.WarningRecorder;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.config.Objective;
import io.cxr.core.data.PreparedDataset;
import io.cxr.core.eval.BinaryMetrics;
import io.cxr.core.eval.Calibration;
import io.cxr.core.eval.EpochRecord;
import io.cxr.core.eval.ThresholdSelector;
import io.cxr.core.io.Json;
import io.cxr.core.model.ModelBundle;
import io.cxr.core.model.Scorer;
import io.cxr.core.stage.PrepareStage;
import io.cxr.core.stage.ReportStage;
import io.cxr.core.stage.TrainStage;
import io.cxr.core.tracking.FileStore;
import io.cxr.core.tracking.MirroredTracker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * External validation ({@code data.external}) on real films: a small Kermany training folder, and
 * the half of the official test split in shared/data as the external set (another collection's
 * acquisition). Prepared like the source, scored every epoch, recorded, chosen on, reported; bad
 * sets refused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExternalValidationTest {
  Path tmp;
  Path source;
  Path external;
  CxrConfig cfg;
  TrainingResult outcome;
  WarningRecorder warnings = new WarningRecorder();
  EpochRecorder epochs = new EpochRecorder();
  FileStore store;

  @BeforeAll
  void prepareAndTrainChoosingOnExternal(@TempDir Path dir) {
    tmp = dir;
    source = TestData.smallKermany(tmp.resolve("src"), 60);
    external = TestData.sharedData().resolve("chest_xray_224_external").resolve("val");
    cfg =
        TestData.config(
            tmp,
            "data.folder_image_size=28",
            "data.min_split_images=10",
            "data.external=[" + external + "]",
            "train.epochs=3",
            "model.cnn.filters=[8, 16]",
            "model.cnn.dense_units=32",
            "train.early_stopping.on=external",
            "train.threshold_on=external",
            "train.calibration_on=external",
            "train.schedule=cosine",
            // any gap warns: the warning's text is checked below
            "train.shift_margin=0");
    PrepareStage.run(cfg, source, tmp.resolve("prepared"), Reporter.SILENT);
    store = new FileStore(tmp.resolve("mlruns"));
    outcome =
        TrainStage.run(cfg, epochs, warnings, new MirroredTracker(store, null, Reporter.SILENT));
  }

  @Test
  void prepareWritesTheExternalSetLikeTheSourceAndRecordsIt() throws Exception {
    JsonNode m = Json.JSON.readTree(tmp.resolve("prepared/manifest.json").toFile());
    JsonNode e = m.path("external").get(0);
    assertEquals("chest_xray_224_external_val", e.path("name").asText());
    assertEquals(330, e.path("count").asInt());
    assertEquals(117, e.path("NORMAL").asInt());
    assertEquals(213, e.path("PNEUMONIA").asInt());
    PreparedDataset data = PreparedDataset.load(tmp.resolve("prepared"));
    assertEquals(1, data.externals().size());
    PreparedDataset.Images im = data.externals().get(0).images();
    assertEquals(28, im.size());
    assertEquals(330, im.n());
    assertEquals(cfg.data().crop(), data.crop());
    // a changed external file is caught by its hash, as the splits' are
    Path copy = tmp.resolve("prepared-copy");
    Files.createDirectories(copy);
    try (var files = Files.list(tmp.resolve("prepared"))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.copy(f, copy.resolve(f.getFileName()));
      }
    }
    Path x = copy.resolve("x_external_chest_xray_224_external_val.npy");
    byte[] bytes = Files.readAllBytes(x);
    bytes[bytes.length - 1] ^= 1;
    Files.write(x, bytes);
    CxrException swapped = assertThrows(CxrException.class, () -> PreparedDataset.load(copy));
    assertTrue(swapped.getMessage().contains(x.getFileName() + ": SHA-256"), swapped.getMessage());
  }

  @Test
  void trainScoresTheExternalSetEveryEpochAndRecordsItsMetrics() throws Exception {
    assertFalse(epochs.epochs.isEmpty());
    for (EpochRecord r : epochs.epochs) {
      assertTrue(r.hasExternal());
      assertTrue(r.externalAuc() > 0 && r.externalAuc() <= 1, "epoch " + r.epoch());
    }
    JsonNode m = Json.JSON.readTree(tmp.resolve("models/metrics.json").toFile());
    for (String k :
        List.of(
            "external_auc",
            "external_accuracy",
            "external_specificity",
            "external_sensitivity",
            "external_ece",
            "shift_auc_gap")) {
      assertTrue(m.has(k), k);
    }
    assertEquals(330, m.path("external_n").asInt());
    // what the training needed is recorded beside its time (not in metrics.json: machine-bound)
    JsonNode timing = Json.JSON.readTree(tmp.resolve("models/timing.json").toFile());
    assertTrue(timing.path("peak_rss_mib").asDouble() > 100, timing.toString());
    assertFalse(m.has("peak_rss_mib"));
    assertEquals(
        m.path("val_auc").asDouble() - m.path("external_auc").asDouble(),
        m.path("shift_auc_gap").asDouble(),
        2e-6);
    String history = Files.readString(tmp.resolve("artifacts/cxr/history.csv"));
    assertTrue(
        history.startsWith("epoch,train_loss,val_loss,val_auc,external_loss,external_auc\n"));
    var run = store.runs().get(0);
    assertEquals(epochs.epochs.size(), run.metrics().get("epoch_external_auc").size());
    assertTrue(run.metrics().containsKey("external_auc"));
  }

  @Test
  void earlyStoppingPicksTheEpochOfBestExternalAuc() {
    int best = outcome.flatMetrics().get("best_epoch").intValue();
    double bestExternal =
        epochs.epochs.stream().mapToDouble(EpochRecord::externalAuc).max().orElseThrow();
    assertEquals(bestExternal, epochs.epochs.get(best - 1).externalAuc(), 1e-12);
  }

  @Test
  void thresholdAndCalibrationAreFittedOnTheExternalSet() {
    ModelBundle model = ModelBundle.load(tmp.resolve("models/model.zip"));
    PreparedDataset data = PreparedDataset.load(tmp.resolve("prepared"));
    PreparedDataset.Images ext = data.externalPooled();
    // the raw ensemble scores, calibrated by a fit on the external set, give the card's threshold
    float[] raw = Scorer.scores(model.networks(), cfg.train().normalization(), ext);
    Calibration.Fit fit = Calibration.fitPlatt(ext.y(), raw);
    assertEquals(fit.temperature(), model.card().temperature(), 1e-9);
    double expected =
        ThresholdSelector.choose(
            cfg.train().threshold(),
            cfg.train().fixedThreshold(),
            cfg.train().targetSensitivity(),
            ext.y(),
            fit.apply(raw));
    assertEquals(expected, model.card().threshold(), 1e-12);
    // the cosine schedule read the epochs the trainer counted on the network
    assertEquals(epochs.epochs.size(), model.networks().get(0).getEpochCount());
    // and the card says what was chosen on the external data
    assertEquals(
        "early_stopping,threshold,calibration",
        model.card().provenance().get("external_chosen_on"));
  }

  @Test
  void aShiftLargerThanTheMarginIsWarned() {
    boolean warned =
        warnings.warnings.stream().anyMatch(w -> w.startsWith("dataset shift: validation AUC"));
    assertEquals(
        outcome.flatMetrics().get("shift_auc_gap") > 0, warned, warnings.warnings.toString());
    // separable validation, a coin-toss external set: a gap of about 0.5
    int[] y = {0, 0, 0, 1, 1, 1};
    BinaryMetrics val = BinaryMetrics.of(y, new float[] {0.1f, 0.2f, 0.3f, 0.7f, 0.8f, 0.9f}, 0.5);
    BinaryMetrics ext = BinaryMetrics.of(y, new float[] {0.7f, 0.2f, 0.8f, 0.3f, 0.9f, 0.1f}, 0.5);
    var w = Trainer.shiftWarning(val, ext, cfg.train());
    assertTrue(w.isPresent());
    assertTrue(w.get().contains("validation AUC 1.000 but external AUC"), w.get());
    CxrConfig wide = TestData.config(tmp, "train.shift_margin=0.9");
    assertTrue(Trainer.shiftWarning(val, ext, wide.train()).isEmpty());
    assertTrue(
        Trainer.shiftWarning(ext, val, cfg.train()).isEmpty(), "external better: no warning");
  }

  @Test
  void aSetMissingAClassIsRefusedNamingIt() throws Exception {
    Path onlyNormal = tmp.resolve("only-normal");
    Files.createDirectories(onlyNormal.resolve("NORMAL"));
    Files.createDirectories(onlyNormal.resolve("PNEUMONIA")); // there, but empty
    for (Path p : TestData.jpegs("NORMAL", 3)) {
      Files.copy(p, onlyNormal.resolve("NORMAL").resolve(p.getFileName()));
    }
    CxrConfig bad =
        TestData.config(
            tmp,
            "data.folder_image_size=28",
            "data.min_split_images=10",
            "paths.prepared=" + tmp.resolve("p-missing"),
            "data.external=[" + onlyNormal + "]");
    CxrException e =
        assertThrows(
            CxrException.class,
            () -> PrepareStage.run(bad, source, tmp.resolve("p-missing"), Reporter.SILENT));
    assertTrue(e.getMessage().startsWith("data.external " + onlyNormal), e.getMessage());
    assertTrue(e.getMessage().contains("PNEUMONIA: empty"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("p-missing/manifest.json")));
  }

  @Test
  void aSetSharingAnImageWithTheTrainingDataIsRefusedAsLeakage() throws Exception {
    Path leaky = tmp.resolve("leaky");
    for (String label : List.of("NORMAL", "PNEUMONIA")) {
      Files.createDirectories(leaky.resolve(label));
      Path own = TestData.sharedData().resolve("chest_xray_224_external/val").resolve(label);
      try (var s = Files.list(own)) {
        for (Path p : s.sorted().limit(2).toList()) {
          Files.copy(p, leaky.resolve(label).resolve(p.getFileName()));
        }
      }
    }
    // one of the source's own training images, renamed
    Path stolen = TestData.jpegs("PNEUMONIA", 1).get(0);
    Files.copy(stolen, leaky.resolve("PNEUMONIA").resolve("renamed.jpeg"));
    CxrConfig bad =
        TestData.config(
            tmp,
            "data.folder_image_size=28",
            "data.min_split_images=10",
            "paths.prepared=" + tmp.resolve("p-leak"),
            "data.external=[" + leaky + "]");
    CxrException e =
        assertThrows(
            CxrException.class,
            () -> PrepareStage.run(bad, source, tmp.resolve("p-leak"), Reporter.SILENT));
    assertTrue(e.getMessage().startsWith("data.external " + leaky), e.getMessage());
    assertTrue(e.getMessage().contains("PNEUMONIA/renamed.jpeg"), e.getMessage());
    assertTrue(e.getMessage().contains(stolen.getFileName().toString()), e.getMessage());
    assertTrue(e.getMessage().contains("leakage"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("p-leak/manifest.json")));
  }

  @Test
  void choosingOnExternalDataNeedsAnExternalSet() {
    CxrException e =
        assertThrows(CxrException.class, () -> TestData.config(tmp, "train.threshold_on=external"));
    assertTrue(e.getMessage().contains("'train.threshold_on'"), e.getMessage());
    assertThrows(CxrException.class, () -> TestData.config(tmp, "hpo.objective=worst"));
    assertThrows(CxrException.class, () -> TestData.config(tmp, "train.calibration_on=test"));
    // auto: external when the prepared data has external sets, else validation
    CxrConfig auto = TestData.config(tmp, "train.threshold_on=auto", "train.calibration_on=auto");
    assertEquals(io.cxr.core.config.FitOn.AUTO, auto.train().thresholdOn());
    assertTrue(io.cxr.core.eval.OperatingPoint.onExternal(io.cxr.core.config.FitOn.AUTO, true));
    assertFalse(io.cxr.core.eval.OperatingPoint.onExternal(io.cxr.core.config.FitOn.AUTO, false));
    assertTrue(io.cxr.core.eval.OperatingPoint.onExternal(io.cxr.core.config.FitOn.EXTERNAL, true));
    assertFalse(io.cxr.core.eval.OperatingPoint.onExternal(io.cxr.core.config.FitOn.VAL, true));
  }

  @Test
  void trainingRefusesAnExternalChoiceOnDataPreparedWithoutExternalSets() {
    CxrConfig noExt = TestData.config(tmp, "data.folder_image_size=28", "data.min_split_images=10");
    Path plain = tmp.resolve("p-plain");
    PrepareStage.run(noExt, source, plain, Reporter.SILENT);
    CxrException e =
        assertThrows(
            CxrException.class,
            () -> Trainer.checkExternal(cfg, PreparedDataset.load(plain), Reporter.SILENT));
    assertTrue(e.getMessage().startsWith("train.early_stopping.on=external"), e.getMessage());
  }

  @Test
  void objectiveScoresValExternalOrTheWorse() {
    EpochRecord r = new EpochRecord(1, 1, 0.5, 0.4, 0.99, 1, 1, true, 1, 0.6, 0.93);
    assertEquals(0.99, Objective.VAL.pick(r.valAuc(), r.externalAuc()));
    assertEquals(0.93, Objective.EXTERNAL.pick(r.valAuc(), r.externalAuc()));
    assertEquals(0.93, Objective.WORST.pick(r.valAuc(), r.externalAuc()));
    assertEquals(0.8, Objective.WORST.pick(0.8, 0.9), 0.0);
    EpochRecord noExt = new EpochRecord(1, 1, 0.5, 0.4, 0.8, 1, 1, true, 1);
    assertEquals(
        0.0,
        Objective.EXTERNAL.pick(noExt.valAuc(), noExt.externalAuc()),
        0.0,
        "no external sets: the worst score");
    assertEquals("worst_auc", Objective.of("worst").metric());
    assertNotEquals(Objective.VAL, Objective.of("external"));
  }

  @Test
  void aSearchScoresItsTrialsOnTheObjective() throws Exception {
    Path work = tmp.resolve("hpo");
    List<String> o =
        List.of(
            "paths.prepared=" + tmp.resolve("prepared"),
            "paths.models=" + work.resolve("models"),
            "paths.artifacts=" + work.resolve("artifacts"),
            "tracking.local_dir=" + work.resolve("mlruns"),
            "hpo.output=" + work.resolve("best.yaml"),
            "data.external=[" + external + "]",
            "data.folder_image_size=28",
            "model.cnn.filters=[8, 16]",
            "model.cnn.dense_units=32",
            "train.epochs=1",
            "train.ensemble=1",
            "hpo.trials=2",
            "hpo.pruning.enabled=false",
            "hpo.objective=worst",
            "hpo.space.cnn=[{key: train.learning_rate, type: log_uniform, low: 0.0005, high: 0.003}]");
    CxrConfig base = io.cxr.core.config.ConfigLoader.load(null, o);
    FileStore hpoStore = new FileStore(work.resolve("mlruns"));
    var r =
        io.cxr.core.stage.OptimizeStage.run(
            base,
            null,
            o,
            false,
            new MirroredTracker(hpoStore, null, Reporter.SILENT),
            Reporter.SILENT);
    assertEquals(2, r.trials().size());
    for (var t : r.trials()) {
      var run = hpoStore.runs().stream().filter(x -> x.runId().equals(t.runId())).findFirst().get();
      double val = run.metrics().get("val_auc").get(0).value();
      double ext = run.metrics().get("external_auc").get(0).value();
      // the trial's score is the worse of validation and external AUC (metrics are rounded)
      assertEquals(Math.min(val, ext), t.score(), 1e-6);
      assertEquals(t.score(), run.metrics().get("worst_auc").get(0).value(), 1e-6);
    }
    assertTrue(
        Files.readString(work.resolve("best.yaml")).contains("): worst_auc "),
        "the best config names its objective");
  }

  @Test
  void theReportComparesInDistributionWithExternal() throws Exception {
    Path html = tmp.resolve("reports/report.html");
    ReportStage.run(
        cfg,
        tmp.resolve("models/model.zip"),
        tmp.resolve("prepared"),
        List.of(),
        html,
        ReportStage.Format.HTML,
        Reporter.SILENT,
        null);
    String page = Files.readString(html);
    assertTrue(page.contains("id=\"shift\""), "shift section");
    assertTrue(page.contains("In distribution vs external"), "side-by-side table");
    assertTrue(page.contains("external: chest_xray_224_external_val"), "the prepared set");
    assertTrue(page.contains("AUC gap to validation"));
    assertTrue(
        page.contains(
            "early stopping, threshold, calibration were chosen on the prepared external"),
        "the report says what was chosen on the external sets");
  }
}
