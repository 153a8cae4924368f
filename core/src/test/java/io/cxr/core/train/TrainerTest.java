package io.cxr.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.TestData;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.config.Normalization;
import io.cxr.core.data.PreparedDataset;
import io.cxr.core.data.Split;
import io.cxr.core.eval.EpochRecord;
import io.cxr.core.io.Json;
import io.cxr.core.model.ModelBundle;
import io.cxr.core.model.ModelCard;
import io.cxr.core.model.Scorer;
import io.cxr.core.stage.EvaluateStage;
import io.cxr.core.stage.PrepareStage;
import io.cxr.core.stage.TrainStage;
import io.cxr.core.tracking.FileStore;
import io.cxr.core.tracking.MirroredTracker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Post-train checks on a small real run: artifacts exist, metrics are sane, runs repeat. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrainerTest {
  Path tmp;
  CxrConfig cfg;
  MirroredTracker tracker;
  TrainingResult first;
  EpochRecorder epochsRecorder = new EpochRecorder();
  List<EpochRecord> epochs = epochsRecorder.epochs;

  @BeforeAll
  void trainSmallCnn(@TempDir Path dir) {
    tmp = dir;
    cfg =
        TestData.config(
            tmp,
            "data.max_per_class=300",
            "train.epochs=3",
            "model.cnn.filters=[8, 16]",
            "model.cnn.dense_units=32");
    PrepareStage.run(cfg, TestData.npz(), tmp.resolve("prepared"), Reporter.SILENT);
    tracker = new MirroredTracker(new FileStore(tmp.resolve("mlruns")), null, Reporter.SILENT);
    first = TrainStage.run(cfg, epochsRecorder, Reporter.SILENT, tracker);
  }

  /** The small CNN of these tests writing to {@code tmp/<models>}, with more overrides. */
  private CxrConfig small(String models, String... more) {
    List<String> o =
        new java.util.ArrayList<>(
            List.of(
                "data.max_per_class=300",
                "model.cnn.filters=[8, 16]",
                "model.cnn.dense_units=32",
                "paths.models=" + tmp.resolve(models)));
    o.addAll(List.of(more));
    return TestData.config(tmp, o.toArray(String[]::new));
  }

  @Test
  void evaluateWarnsOnlyWhenThePreparedDataIsNotTheModelsOwn() throws Exception {
    io.cxr.core.WarningRecorder own = new io.cxr.core.WarningRecorder();
    EvaluateStage.run(
        cfg,
        tmp.resolve("models/model.zip"),
        null,
        tmp.resolve("own-reports"),
        false,
        own,
        tracker);
    assertTrue(
        own.warnings.stream().noneMatch(w -> w.contains("training images")),
        own.warnings.toString());
    // prepared again with another seed: its test split holds some of the model's training images
    CxrConfig reseeded = TestData.config(tmp, "seed=7", "data.max_per_class=300");
    PrepareStage.run(reseeded, TestData.npz(), tmp.resolve("reseeded"), Reporter.SILENT);
    CxrConfig onIt =
        io.cxr.core.config.ConfigLoader.with(
            cfg, List.of("paths.prepared=" + tmp.resolve("reseeded")));
    io.cxr.core.WarningRecorder other = new io.cxr.core.WarningRecorder();
    EvaluateStage.run(
        onIt,
        tmp.resolve("models/model.zip"),
        null,
        tmp.resolve("other-reports"),
        false,
        other,
        tracker);
    assertTrue(
        other.warnings.stream().anyMatch(w -> w.contains("may hold the model's training images")),
        other.warnings.toString());
  }

  @Test
  void aModelRefusesPreparedDataOfAnotherSizeOrCrop() {
    PreparedDataset data = PreparedDataset.load(tmp.resolve("prepared"));
    ModelCard c = first.model().card();
    assertDoesNotThrow(() -> c.requireFits(data, "m.zip"));
    ModelCard bigger = card(c, c.imageSize() * 2, c.crop());
    CxrException size = assertThrows(CxrException.class, () -> bigger.requireFits(data, "m.zip"));
    assertTrue(size.getMessage().contains("but model m.zip expects 56x56"), size.getMessage());
    ModelCard cropped = card(c, c.imageSize(), 0.1);
    CxrException crop = assertThrows(CxrException.class, () -> cropped.requireFits(data, "m.zip"));
    assertTrue(crop.getMessage().contains("re-run prepare with data.crop=0.1"), crop.getMessage());
  }

  private static ModelCard card(ModelCard c, int size, Double crop) {
    return new ModelCard(
        c.format(),
        c.modelType(),
        size,
        c.threshold(),
        c.normalization(),
        c.classes(),
        c.metrics(),
        c.provenance(),
        c.createdAt(),
        c.config(),
        c.temperature(),
        c.calibrationBias(),
        crop);
  }

  @Test
  void writesModelMetricsAndPlots() throws Exception {
    Path models = tmp.resolve("models");
    assertTrue(Files.size(models.resolve("model.zip")) > 10_000);
    assertTrue(Files.isRegularFile(models.resolve("config.yaml")));
    JsonNode m = Json.JSON.readTree(models.resolve("metrics.json").toFile());
    for (String k :
        List.of(
            "train_f1",
            "train_accuracy",
            "val_auc",
            "test_f1",
            "test_accuracy",
            "test_auc",
            "test_precision",
            "test_sensitivity",
            "test_specificity",
            "threshold",
            "test_tp",
            "test_fp",
            "test_tn",
            "test_fn")) {
      assertTrue(m.has(k) && m.get(k).isNumber(), "metrics.json has " + k);
    }
    for (String k : List.of("test_f1", "test_auc", "test_accuracy", "threshold", "val_auc")) {
      double v = m.get(k).asDouble();
      assertTrue(v >= 0 && v <= 1, k + " in [0, 1]: " + v);
    }
    assertEquals(
        234 + 300,
        m.get("test_tp").asInt()
            + m.get("test_fp").asInt()
            + m.get("test_tn").asInt()
            + m.get("test_fn").asInt(),
        "confusion counts add up to the capped test split");
    // even 3 small epochs on real data learn something
    assertTrue(m.get("val_auc").asDouble() > 0.85, "val AUC " + m.get("val_auc"));
    Path art = tmp.resolve("artifacts").resolve("cxr");
    for (String png :
        List.of("confusion_matrix.png", "roc_curve.png", "pr_curve.png", "training_curves.png")) {
      byte[] head = Files.readAllBytes(art.resolve(png));
      assertTrue(head.length > 2000 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G', png);
    }
    assertEquals(epochs.size() + 1, Files.readAllLines(art.resolve("history.csv")).size());
    assertEquals(3, epochs.size());
  }

  @Test
  void savedModelPredictsLikeTheTrainedOne() {
    ModelBundle loaded = ModelBundle.load(tmp.resolve("models/model.zip"));
    assertEquals(first.flatMetrics().get("threshold"), loaded.card().threshold(), 1e-12);
    assertEquals(io.cxr.core.config.ModelType.CNN, loaded.card().modelType());
    assertEquals(28, loaded.card().imageSize());
    assertTrue(loaded.card().provenance().get("data_manifest_sha256").matches("[0-9a-f]{64}"));
    PreparedDataset.Images test = PreparedDataset.load(tmp.resolve("prepared")).split(Split.TEST);
    float[] a = Scorer.scores(first.model().network(), first.model().card().normalization(), test);
    float[] b = Scorer.scores(loaded.network(), loaded.card().normalization(), test);
    assertArrayEquals(a, b, 1e-6f);
  }

  @Test
  void sameSeedSameMetrics() {
    TrainingResult again =
        new Trainer(cfg, Reporter.SILENT).fit(PreparedDataset.load(tmp.resolve("prepared")));
    // exactly the same figures, as the README promises (metrics.json byte for byte); only the
    // wall times differ
    java.util.Map<String, Double> a = new java.util.TreeMap<>(first.flatMetrics());
    java.util.Map<String, Double> b = new java.util.TreeMap<>(again.flatMetrics());
    for (String k : List.of("train_seconds", "train_images_per_second")) {
      a.remove(k);
      b.remove(k);
    }
    assertEquals(a, b);
  }

  @Test
  void evaluateReproducesTrainTestMetricsAndWritesReport() throws Exception {
    EvaluateStage.Result r =
        EvaluateStage.run(
            cfg,
            tmp.resolve("models/model.zip"),
            null,
            tmp.resolve("reports"),
            false,
            Reporter.SILENT,
            tracker);
    for (String k : List.of("test_auc", "test_f1", "test_specificity")) {
      assertEquals(first.flatMetrics().get(k), r.flatMetrics().get(k), 1e-6, k);
    }
    String md = Files.readString(tmp.resolve("reports/evaluation.md"));
    assertTrue(md.contains("## Quality gate") && md.contains("| test AUC |"), md);
    assertEquals(
        r.gate().passed() ? 1.0 : 0.0,
        Json.JSON
            .readTree(tmp.resolve("reports/evaluation.json").toFile())
            .get("gate_passed")
            .asDouble());
  }

  @Test
  void denseBaselineTrains() {
    CxrConfig dense =
        TestData.config(
            tmp,
            "model.type=dense",
            "train.epochs=2",
            "model.dense.hidden=[32]",
            "paths.models=" + tmp.resolve("dense"),
            "paths.prepared=" + tmp.resolve("prepared"));
    TrainingResult o = TrainStage.run(dense, new TrainingListener() {}, Reporter.SILENT, tracker);
    Map<String, Double> m = o.flatMetrics();
    assertTrue(m.get("val_auc") > 0.8, "dense val AUC " + m.get("val_auc"));
    assertEquals(
        io.cxr.core.config.ModelType.DENSE,
        ModelBundle.load(tmp.resolve("dense/model.zip")).card().modelType());
  }

  @Test
  void aDivergingRunStopsWithinTwoEpochsAsCollapsedWritesNoModelAndEndsFailed() throws Exception {
    Path out = tmp.resolve("collapsed-models");
    CxrConfig huge =
        TestData.config(
            tmp,
            "data.max_per_class=300",
            "train.epochs=8",
            "train.optimizer=sgd",
            "train.learning_rate=9.0",
            "train.early_stopping.patience=8",
            "model.cnn.filters=[8, 16]",
            "model.cnn.dense_units=32",
            "paths.models=" + out,
            "tracking.local_dir=" + tmp.resolve("collapsed-mlruns"));
    MirroredTracker t =
        new MirroredTracker(new FileStore(tmp.resolve("collapsed-mlruns")), null, Reporter.SILENT);
    EpochRecorder seenRecorder = new EpochRecorder();
    List<EpochRecord> seen = seenRecorder.epochs;
    TrainingCollapsed e =
        assertThrows(
            TrainingCollapsed.class, () -> TrainStage.run(huge, seenRecorder, Reporter.SILENT, t));
    assertTrue(seen.size() <= 2, "stopped within 2 epochs, ran " + seen.size());
    assertTrue(
        e.getMessage().startsWith("training diverged")
            || e.getMessage().startsWith("training collapsed"),
        e.getMessage());
    assertTrue(e.getMessage().contains("train.learning_rate"), e.getMessage());
    assertFalse(Files.exists(out.resolve("model.zip")), "no model published");
    assertFalse(Files.exists(out.resolve("metrics.json")), "no metrics published");
    var runs = new FileStore(tmp.resolve("collapsed-mlruns")).runs();
    assertEquals(1, runs.size());
    assertEquals("FAILED", runs.get(0).status().name());
  }

  @Test
  void theOneBatchCheckPassesForTheTestConfigAndFailsForADivergingRate() {
    PreparedDataset data = PreparedDataset.load(tmp.resolve("prepared"));
    Trainer.CheckResult ok = new Trainer(cfg, Reporter.SILENT).check(data);
    assertTrue(ok.passed(), ok.toString());
    assertTrue(ok.lastLoss() < 0.5 * ok.firstLoss(), ok.toString());
    CxrConfig huge =
        TestData.config(
            tmp,
            "data.max_per_class=300",
            "train.optimizer=sgd",
            "train.learning_rate=9.0",
            "model.cnn.filters=[8, 16]",
            "model.cnn.dense_units=32");
    Trainer.CheckResult bad = new Trainer(huge, Reporter.SILENT).check(data);
    assertFalse(bad.passed(), bad.toString());
  }

  @Test
  void plattScalingIsFittedOnValidationStoredInTheModelAndLowersValidationEce() throws Exception {
    Map<String, Double> m = first.flatMetrics();
    double t = m.get("calibration_temperature");
    assertTrue(t > 0 && t != 1.0, "temperature " + t);
    assertTrue(
        m.get("val_ece") < m.get("val_ece_uncalibrated"),
        "val ECE " + m.get("val_ece") + " vs uncalibrated " + m.get("val_ece_uncalibrated"));
    ModelBundle loaded = ModelBundle.load(tmp.resolve("models/model.zip"));
    assertEquals(t, loaded.card().temperatureOrOne(), 1e-12);
    assertEquals(m.get("calibration_bias"), loaded.card().calibrationBiasOrZero(), 1e-12);
    assertTrue(m.get("calibration_bias") != 0.0, "Platt scaling (the default) fits a bias");
    // the bundle's scores are the calibrated ones the metrics were computed from
    PreparedDataset.Images test = PreparedDataset.load(tmp.resolve("prepared")).split(Split.TEST);
    float[] viaBundle = Scorer.scores(loaded, test.x(), test.n());
    assertArrayEquals(first.test().scores(), viaBundle, 1e-6f);
  }

  @Test
  void earlyStoppingEndsTheRunAndTheModelIsTheBestEpochsNotTheLast() {
    // min_delta 1.0: only epoch 1 counts as an improvement, so the run stops after
    // 1 + patience epochs and must hand back epoch 1's weights
    CxrConfig c =
        small(
            "es-models",
            "train.epochs=6",
            "train.early_stopping.patience=2",
            "train.early_stopping.min_delta=1.0");
    EpochRecorder seenRecorder = new EpochRecorder();
    List<EpochRecord> seen = seenRecorder.epochs;
    TrainingResult o =
        new Trainer(c, Reporter.SILENT, seenRecorder)
            .withoutTest()
            .fit(PreparedDataset.load(tmp.resolve("prepared")));
    assertEquals(3, seen.size(), "stopped after 1 + patience epochs");
    assertEquals(1.0, o.flatMetrics().get("best_epoch"));
    assertEquals(seen.get(0).valAuc(), o.flatMetrics().get("val_auc"), 1e-4, "epoch 1's weights");
    assertTrue(
        Math.abs(seen.get(2).valAuc() - seen.get(0).valAuc()) > 1e-4,
        "the test needs the last epoch to differ from the best: " + seen);
  }

  @Test
  void anEnsembleIsItsMembersTrainedWithSuccessiveSeedsScoredByTheirMean() throws Exception {
    CxrConfig c = small("ensemble", "train.epochs=2", "train.ensemble=2");
    EpochRecorder seen = new EpochRecorder();
    TrainingResult o = TrainStage.run(c, seen, Reporter.SILENT, tracker);
    // each member's epochs have their own step: 1, 2 (member 1), 3, 4 (member 2)
    assertEquals(List.of(1, 2, 3, 4), seen.epochs.stream().map(EpochRecord::epoch).toList());
    assertEquals(2.0, o.flatMetrics().get("ensemble_members"));
    assertEquals(2, o.model().networks().size());
    assertEquals(
        2.0 * o.model().network().numParams(),
        o.flatMetrics().get("parameters"),
        0.5,
        "both counted");
    PreparedDataset data = PreparedDataset.load(tmp.resolve("prepared"));
    PreparedDataset.Images test = data.split(Split.TEST);
    Normalization norm = c.train().normalization();
    // member 1 is the single network of seed 42 + 1: the same weights as training that alone
    TrainingResult alone =
        new Trainer(c.withEnsemble(1).withSeed(c.seed() + 1), Reporter.SILENT).fit(data);
    float[] m1 = Scorer.scores(o.model().networks().get(1), norm, test);
    assertArrayEquals(Scorer.scores(alone.model().network(), norm, test), m1, 1e-6f);
    float[] m0 = Scorer.scores(o.model().network(), norm, test);
    float[] mean = Scorer.scores(o.model().networks(), norm, test);
    for (int i = 0; i < mean.length; i++) {
      assertEquals((m0[i] + m1[i]) / 2, mean[i], 1e-6, "image " + i);
    }
    assertFalse(java.util.Arrays.equals(m0, m1), "two seeds, two networks");
    // saved and loaded: both members, scored as when trained (calibration on the mean)
    ModelBundle loaded = ModelBundle.load(tmp.resolve("ensemble/model.zip"));
    assertEquals(2, loaded.networks().size());
    assertArrayEquals(o.test().scores(), Scorer.scores(loaded, test.x(), test.n()), 1e-6f);
    // resumed after member 1 finished and before member 2 started (its checkpoint gone): member
    // 1 is restored without another epoch, member 2 trains afresh, the figures are the same
    Path ckpt = tmp.resolve("ensemble-ckpt");
    TrainingResult checkpointed =
        new Trainer(c, Reporter.SILENT)
            .checkpointing(new Checkpoint.Plan(ckpt, false, Map.of()))
            .fit(data);
    assertTrue(Files.isRegularFile(ckpt.resolve(Checkpoint.STATE)), "member 1's checkpoint");
    Path second = tmp.resolve("ensemble-ckpt-member-1");
    assertTrue(Files.isRegularFile(second.resolve(Checkpoint.STATE)), "member 2's, beside it");
    io.cxr.core.io.AtomicFiles.deleteRecursively(second);
    EpochRecorder resumedEpochs = new EpochRecorder();
    TrainingResult resumed =
        new Trainer(c, Reporter.SILENT, resumedEpochs)
            .checkpointing(new Checkpoint.Plan(ckpt, true, Map.of()))
            .fit(data);
    assertEquals(
        List.of(3, 4),
        resumedEpochs.epochs.stream().map(EpochRecord::epoch).toList(),
        "only member 2's epochs ran, numbered after member 1's");
    assertEquals(
        checkpointed.flatMetrics().get("test_auc"), resumed.flatMetrics().get("test_auc"), 1e-9);
    assertEquals(
        checkpointed.flatMetrics().get("threshold"), resumed.flatMetrics().get("threshold"), 1e-9);
    Checkpoint.deleteAll(ckpt, 2);
    assertFalse(Files.exists(ckpt) || Files.exists(second), "every member's checkpoint removed");
  }

  @Test
  void healthyEpochsReportTheirValidationScoreSpread() {
    assertTrue(epochs.stream().allMatch(r -> r.valScoreSpread() > 0.1), epochs.toString());
  }
}
