package io.cxr.core.tracking;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local MLflow file store, round trips (its layout is read by stock MLflow elsewhere). */
class FileStoreTest {
  @TempDir Path tmp;

  @Test
  void anExperimentIsCreatedOnceByName() {
    FileStore s = new FileStore(tmp.resolve("mlruns"));
    String a = s.experimentId("alpha");
    assertEquals(a, s.experimentId("alpha"));
    String b = s.experimentId("beta");
    assertNotEquals(a, b);
    assertEquals("alpha", s.experimentName(a));
    assertEquals("beta", new FileStore(tmp.resolve("mlruns")).experimentName(b), "on disk");
  }

  @Test
  void aRunKeepsItsParamsTagsMetricHistoryStatusAndArtifacts() throws Exception {
    FileStore s = new FileStore(tmp.resolve("mlruns"));
    String exp = s.experimentId("e");
    String run = s.createRun(exp, "train-1", 1000L);
    s.logParam(exp, run, "train.epochs", "3");
    s.setTag(exp, run, "cxr.command", "train");
    s.logMetric(exp, run, "epoch_val_auc", new FileStore.MetricPoint(1001L, 0.8, 1));
    s.logMetric(exp, run, "epoch_val_auc", new FileStore.MetricPoint(1002L, 0.9, 2));
    Path file = Files.writeString(tmp.resolve("notes.txt"), "x");
    s.logArtifact(exp, run, file, "plots");

    FileStore.StoredRun r = s.read(exp, run);
    assertEquals("train-1", r.runName());
    assertEquals(RunStatus.RUNNING, r.status());
    assertEquals(1000L, r.startTime());
    assertNull(r.endTime());
    assertEquals("3", r.params().get("train.epochs"));
    assertEquals("train", r.tags().get("cxr.command"));
    assertEquals("train-1", r.tags().get("mlflow.runName"));
    List<FileStore.MetricPoint> h = r.metrics().get("epoch_val_auc");
    assertEquals(2, h.size());
    assertEquals(new FileStore.MetricPoint(1002L, 0.9, 2), h.get(1));
    assertArrayEquals("x".getBytes(), Files.readAllBytes(r.artifacts().resolve("plots/notes.txt")));
    assertEquals(1, s.runningRuns().size());

    s.writeRunMeta(exp, run, "train-1", RunStatus.FINISHED, 1000L, 2000L);
    FileStore.StoredRun done = s.read(exp, run);
    assertEquals(RunStatus.FINISHED, done.status());
    assertEquals(2000L, done.endTime());
    assertTrue(s.runningRuns().isEmpty());
    assertEquals(1, s.runs().size());
    assertEquals(s.runDir(exp, run), tmp.resolve("mlruns").resolve(exp).resolve(run));
  }

  @Test
  void aNewStoreGetsMlflowsDefaultExperimentOnceAndIdsInMlflowsRange() throws Exception {
    Path root = tmp.resolve("mlruns");
    FileStore s = new FileStore(root);
    for (int i = 0; i < 40; i++) {
      String id = s.experimentId("e" + i);
      // MLflow's file store: 18-digit positive ids, never 0 (the Default experiment's)
      assertTrue(id.matches("[1-8][0-9]{17}"), id);
    }
    Path meta = root.resolve("0/meta.yaml");
    assertTrue(Files.readString(meta).contains("name: Default"), Files.readString(meta));
    Files.writeString(meta, Files.readString(meta).replace("Default", "Renamed by the user"));
    s.experimentId("another");
    assertTrue(Files.readString(meta).contains("Renamed by the user"), "written once, not again");
  }

  @Test
  void aRunStartsWithMlflowsStandardTags() {
    FileStore s = new FileStore(tmp.resolve("mlruns"));
    String exp = s.experimentId("e");
    FileStore.StoredRun r = s.read(exp, s.createRun(exp, "train-7", 5L));
    assertEquals("train-7", r.tags().get("mlflow.runName"));
    assertEquals("LOCAL", r.tags().get("mlflow.source.type"));
    assertEquals("cxr", r.tags().get("mlflow.source.name"));
    assertEquals(System.getProperty("user.name", "cxr"), r.tags().get("mlflow.user"));
  }

  @Test
  void theRegistryAndHiddenFoldersAreNotExperiments() throws Exception {
    Path root = tmp.resolve("mlruns");
    FileStore s = new FileStore(root);
    String real = s.experimentId("real");
    for (String folder : List.of("models", ".trash")) {
      Files.createDirectories(root.resolve(folder));
      Files.writeString(
          root.resolve(folder).resolve("meta.yaml"),
          "experiment_id: '" + folder + "'\nlifecycle_stage: active\nname: decoy\n");
    }
    Files.createDirectories(root.resolve("stray-folder-without-meta"));
    assertNotEquals("models", s.experimentId("decoy"));
    assertNotEquals(".trash", s.experimentId("decoy"));
    assertEquals(real, s.experimentId("real"));
  }

  @Test
  void runsListParentsBeforeNestedRunsThenByStartTime() {
    // run ids are random, so the folders list in a random order: with ten runs the chance that
    // the listing alone is already in the expected order is 1 in 10! (no flaky pass without sort)
    FileStore s = new FileStore(tmp.resolve("mlruns"));
    String exp = s.experimentId("e");
    String parent = s.createRun(exp, "search", 500L);
    List<String> topLevel = new ArrayList<>();
    List<String> children = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      String child = s.createRun(exp, "trial-" + i, 90L - 10 * i);
      s.setTag(exp, child, "mlflow.parentRunId", parent);
      children.add(0, child);
    }
    for (int i = 0; i < 4; i++) {
      topLevel.add(0, s.createRun(exp, "train-" + i, 400L - 100 * i));
    }
    topLevel.add(parent);
    List<String> expected = new ArrayList<>(topLevel);
    expected.addAll(children);
    List<String> order = s.runs().stream().map(FileStore.StoredRun::runId).toList();
    assertEquals(expected, order);
  }

  @Test
  void aMetricLineWithoutAStepReadsAsStepZero() throws Exception {
    FileStore s = new FileStore(tmp.resolve("mlruns"));
    String exp = s.experimentId("e");
    String run = s.createRun(exp, "r", 1L);
    // older MLflow versions wrote "timestamp value" without a step
    Files.writeString(s.runDir(exp, run).resolve("metrics/test_auc"), "1700 0.5\n1800 0.75 3\n");
    assertEquals(
        List.of(new FileStore.MetricPoint(1700, 0.5, 0), new FileStore.MetricPoint(1800, 0.75, 3)),
        s.read(exp, run).metrics().get("test_auc"));
  }

  @Test
  void aDatasetIsStoredOncePerExperimentAndEachRunLinksToItWithItsContext() throws Exception {
    FileStore s = new FileStore(tmp.resolve("mlruns"));
    String exp = s.experimentId("e");
    String a = s.createRun(exp, "a", 1L);
    String b = s.createRun(exp, "b", 2L);
    DatasetInput train =
        new DatasetInput("src/train", "0123456789abcdef", "local", "{}", null, "{}", "training");
    DatasetInput test =
        new DatasetInput("src/test", "0123456789abcdef", "local", "{}", null, "{}", "test");
    s.logInputs(exp, a, List.of(train, test));
    s.logInputs(exp, b, List.of(train));
    s.logInputs(exp, b, List.of(train)); // again: nothing new
    try (var datasets =
        java.nio.file.Files.list(tmp.resolve("mlruns").resolve(exp).resolve("datasets"))) {
      assertEquals(2, datasets.count(), "one folder per (name, digest), shared by the runs");
    }
    // the dataset's id as MLflow's file store makes it: md5 of the name, then of the digest
    java.security.MessageDigest md5 = java.security.MessageDigest.getInstance("MD5");
    md5.update("src/train".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    md5.update("0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    String id = java.util.HexFormat.of().formatHex(md5.digest());
    assertTrue(
        java.nio.file.Files.isRegularFile(
            tmp.resolve("mlruns")
                .resolve(exp)
                .resolve("datasets")
                .resolve(id)
                .resolve("meta.yaml")),
        "dataset folder " + id);
    assertEquals(
        java.util.Set.of(train, test), java.util.Set.copyOf(s.inputs(exp, a)), "read back whole");
    assertEquals(List.of(train), s.inputs(exp, b));
    assertEquals(List.of(), s.inputs(exp, s.createRun(exp, "c", 3L)));
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class,
        () -> new DatasetInput("x", "a".repeat(37), "local", "{}", null, null, "test"),
        "MLflow's database keeps 36 characters of a digest");
  }
}
