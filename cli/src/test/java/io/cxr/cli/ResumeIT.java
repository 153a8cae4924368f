package io.cxr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cxr train --resume} after a real {@code kill -9}, on real PneumoniaMNIST images: the
 * resumed training ends with a metrics.json byte-identical to an uninterrupted run's, in the same
 * MLflow run.
 */
class ResumeIT {
  @TempDir Path tmp;

  @Test
  void aTrainKilledAfterItsSecondEpochResumesToTheMetricsOfAnUninterruptedRun() throws Exception {
    Path npz = Cli.sharedData().resolve("pneumoniamnist/pneumoniamnist.npz");
    String[] common =
        Cli.concat(
            Cli.isolated(tmp),
            "train.epochs=5",
            "model.cnn.filters=[8, 16]",
            "model.cnn.dense_units=32",
            "train.early_stopping.patience=10");
    CxrJarIT.Run prep =
        CxrJarIT.cxr(
            tmp,
            Cli.concat(
                Cli.concat(new String[] {"prepare", "--quiet", "--source", npz.toString()}, common),
                "data.max_per_class=300"));
    assertEquals(0, prep.code(), prep.err());

    CxrJarIT.Run whole =
        CxrJarIT.cxr(
            tmp,
            Cli.concat(
                Cli.concat(new String[] {"train"}, common),
                "paths.models=" + tmp.resolve("whole")));
    assertEquals(0, whole.code(), whole.err());
    assertFalse(Files.exists(tmp.resolve("whole/checkpoint")), "removed once the model is out");

    String[] killed = Cli.concat(common, "paths.models=" + tmp.resolve("killed"));
    Process p =
        new ProcessBuilder(CxrJarIT.command(Cli.concat(new String[] {"train"}, killed)))
            .directory(tmp.toFile())
            .redirectOutput(tmp.resolve("killed.out").toFile())
            .redirectError(tmp.resolve("killed.err").toFile())
            .start();
    Path state = tmp.resolve("killed/checkpoint/state.json");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (System.nanoTime() < deadline && epochOf(state) < 2 && p.isAlive()) {
      Thread.sleep(50);
    }
    p.destroyForcibly(); // SIGKILL
    assertTrue(p.waitFor(1, TimeUnit.MINUTES));
    int at = epochOf(state);
    assertTrue(
        at >= 2 && at < 5,
        "killed after epoch " + at + ": " + Files.readString(tmp.resolve("killed.out")));
    assertFalse(Files.exists(tmp.resolve("killed/model.zip")), "no model from the killed run");

    CxrJarIT.Run resumed =
        CxrJarIT.cxr(tmp, Cli.concat(new String[] {"train", "--resume"}, killed));
    assertEquals(0, resumed.code(), resumed.out() + resumed.err());
    assertTrue(resumed.out().contains("resuming after epoch " + at + " of 5"), resumed.out());
    assertEquals(
        -1L,
        Files.mismatch(tmp.resolve("whole/metrics.json"), tmp.resolve("killed/metrics.json")),
        "metrics.json of the resumed run is byte-identical to the uninterrupted run's");
    assertFalse(Files.exists(tmp.resolve("killed/checkpoint")));

    // the same MLflow run, continued and FINISHED: two train runs in all, not three
    JsonNode run = Json.JSON.readTree(tmp.resolve("killed/run.json").toFile());
    Path runDir =
        tmp.resolve("mlruns")
            .resolve(run.path("experiment_id").asText())
            .resolve(run.path("run_id").asText());
    assertTrue(Files.readString(runDir.resolve("meta.yaml")).contains("status: 3"), "FINISHED");
    assertTrue(Files.exists(runDir.resolve("tags/cxr.resumed")));
    try (Stream<Path> runs = Files.list(runDir.getParent())) {
      assertEquals(2, runs.filter(d -> Files.isDirectory(d.resolve("metrics"))).count());
    }
    long epochs =
        Files.readString(runDir.resolve("metrics/epoch_val_auc"))
            .lines()
            .map(l -> l.split(" ")[2])
            .distinct()
            .count();
    assertEquals(5, epochs, "one epoch_val_auc step per epoch, before and after the kill");

    // the checkpoint is gone once the model is out: nothing to resume
    CxrJarIT.Run again = CxrJarIT.cxr(tmp, Cli.concat(new String[] {"train", "--resume"}, killed));
    assertEquals(2, again.code(), again.err());
    assertTrue(again.err().contains("no checkpoint"), again.err());
  }

  private static int epochOf(Path state) {
    try {
      return Files.isRegularFile(state)
          ? Json.JSON.readTree(state.toFile()).path("epoch").asInt()
          : 0;
    } catch (Exception e) {
      return 0; // being replaced
    }
  }
}
