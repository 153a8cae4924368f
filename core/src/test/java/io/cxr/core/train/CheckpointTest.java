package io.cxr.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.TestData;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.data.PreparedDataset;
import io.cxr.core.stage.PrepareStage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
  @Test
  void aCheckpointAfterEachEpochAndAResumeOnlyWithTheSameConfigAndData(@TempDir Path tmp) {
    CxrConfig cfg =
        TestData.config(
            tmp,
            "data.max_per_class=120",
            "train.epochs=2",
            "model.cnn.filters=[8]",
            "model.cnn.dense_units=16");
    PrepareStage.run(cfg, TestData.npz(), tmp.resolve("prepared"), Reporter.SILENT);
    PreparedDataset data = PreparedDataset.load(tmp.resolve("prepared"));
    Path dir = tmp.resolve("checkpoint");
    new Trainer(cfg, Reporter.SILENT)
        .checkpointing(new Checkpoint.Plan(dir, false, Map.of("run_id", "r1")))
        .withoutTest()
        .fit(data);
    Checkpoint.State s = Checkpoint.state(dir);
    assertEquals(2, s.epoch());
    assertEquals(2, s.history().size());
    assertEquals("r1", s.extra().get("run_id"));
    assertTrue(Files.isRegularFile(dir.resolve(Checkpoint.NETWORK)));
    assertEquals(s.bestEpoch() > 0, Files.isRegularFile(dir.resolve(Checkpoint.BEST)));

    CxrConfig other =
        TestData.config(
            tmp,
            "data.max_per_class=120",
            "train.epochs=2",
            "model.cnn.filters=[8]",
            "model.cnn.dense_units=16",
            "train.learning_rate=0.01");
    CxrException e =
        assertThrows(CxrException.class, () -> Checkpoint.load(dir, other, data.manifestSha256()));
    assertTrue(e.getMessage().contains("train.learning_rate differ"), e.getMessage());
    CxrException d =
        assertThrows(CxrException.class, () -> Checkpoint.load(dir, cfg, "another-manifest"));
    assertTrue(d.getMessage().contains("other prepared data"), d.getMessage());
    CxrException none =
        assertThrows(CxrException.class, () -> Checkpoint.state(tmp.resolve("nothing")));
    assertTrue(none.getMessage().contains("no checkpoint in"), none.getMessage());
  }
}
