package io.cxr.core.tracking;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
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
}
