package io.cxr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C (SIGINT) during a real training: the run ends KILLED (MLflow's status for a run the user
 * stopped, not FAILED), no model is published, and the checkpoint stays for {@code --resume}.
 */
class InterruptIT {
  @TempDir Path tmp;

  @Test
  void ctrlCDuringTrainingEndsTheRunKilledAndKeepsTheCheckpoint() throws Exception {
    Path npz = Cli.sharedData().resolve("pneumoniamnist/pneumoniamnist.npz");
    String[] common =
        Cli.concat(
            Cli.isolated(tmp),
            "train.epochs=40",
            "train.early_stopping.patience=40",
            "model.cnn.filters=[8, 16]",
            "model.cnn.dense_units=32");
    CxrJarIT.Run prep =
        CxrJarIT.cxr(
            tmp,
            Cli.concat(
                Cli.concat(new String[] {"prepare", "--quiet", "--source", npz.toString()}, common),
                "data.max_per_class=300"));
    assertEquals(0, prep.code(), prep.err());

    Process p =
        new ProcessBuilder(CxrJarIT.command(Cli.concat(new String[] {"train"}, common)))
            .directory(tmp.toFile())
            .redirectOutput(tmp.resolve("train.out").toFile())
            .redirectError(tmp.resolve("train.err").toFile())
            .start();
    Path state = tmp.resolve("models/checkpoint/state.json");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (System.nanoTime() < deadline && !Files.isRegularFile(state) && p.isAlive()) {
      Thread.sleep(50);
    }
    assertTrue(p.isAlive(), "still training: " + Files.readString(tmp.resolve("train.out")));
    Process kill = new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start();
    assertEquals(0, kill.waitFor());
    assertTrue(p.waitFor(2, TimeUnit.MINUTES), "stopped after SIGINT");
    assertNotEquals(0, p.exitValue());

    Path runs = tmp.resolve("mlruns");
    List<Path> metas;
    try (Stream<Path> s = Files.walk(runs, 3)) {
      metas =
          s.filter(f -> f.getFileName().toString().equals("meta.yaml"))
              .filter(f -> !f.getParent().getParent().equals(runs)) // run metas, not experiments
              .toList();
    }
    assertEquals(1, metas.size(), metas.toString());
    // MLflow's RunStatus: 3 FINISHED, 4 FAILED, 5 KILLED
    assertTrue(
        Files.readString(metas.get(0)).contains("status: 5"),
        "KILLED: " + Files.readString(metas.get(0)));
    assertFalse(Files.exists(tmp.resolve("models/model.zip")), "no model from a stopped run");
    assertTrue(
        Json.JSON.readTree(state.toFile()).path("epoch").asInt() >= 1,
        "the checkpoint stays for --resume");
  }
}
