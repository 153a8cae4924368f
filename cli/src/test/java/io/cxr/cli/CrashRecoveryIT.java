package io.cxr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.io.Owner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * After {@code kill -9} of a training jar: the next command marks the dead process's MLflow run
 * FAILED (not RUNNING forever) and removes the temp files and folders it left, and nothing else.
 */
class CrashRecoveryIT {
  @TempDir Path tmp;

  @Test
  void aSecondWriterIsRefusedAndAfterAKillTheNextCommandEndsTheRunAndRemovesOrphansOnly()
      throws Exception {
    Path npz = Cli.sharedData().resolve("pneumoniamnist/pneumoniamnist.npz");
    String[] paths = Cli.isolated(tmp);
    CxrJarIT.Run prep =
        CxrJarIT.cxr(
            tmp,
            Cli.concat(new String[] {"prepare", "--quiet", "--source", npz.toString()}, paths));
    assertEquals(0, prep.code(), prep.err());

    // a long training, killed with SIGKILL once its run has logged an epoch
    Process train = start(Cli.concat(new String[] {"train", "train.epochs=200"}, paths));
    Path mlruns = tmp.resolve("mlruns");
    Path runDir = null;
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (System.nanoTime() < deadline && runDir == null) {
      runDir = firstRunWith(mlruns, "metrics/epoch_val_auc");
      Thread.sleep(200);
    }
    assertTrue(runDir != null, "the training run logged no epoch");
    assertTrue(Files.readString(runDir.resolve("meta.yaml")).contains("status: 1"), "RUNNING");
    long pid = train.pid();
    // one writer per workspace: a second train on the same paths is refused, naming the holder
    CxrJarIT.Run second = CxrJarIT.cxr(tmp, Cli.concat(new String[] {"train"}, paths));
    assertEquals(2, second.code(), second.err());
    assertTrue(
        second
            .err()
            .contains(
                "paths.models " + tmp.resolve("models") + ": in use by cxr train (pid " + pid),
        second.err());
    train.destroyForcibly(); // SIGKILL: no shutdown hook runs
    assertTrue(train.waitFor(1, TimeUnit.MINUTES));
    assertTrue(
        Files.readString(runDir.resolve("meta.yaml")).contains("status: 1"), "still RUNNING");

    // what a killed process leaves: a half-written prepared folder and model temp, named by it;
    // beside them a live process's temp (ours) and a user's hidden files, which must stay
    Path data = tmp; // beside paths.prepared, where prepare stages its folder
    Path models = Files.createDirectories(tmp.resolve("models"));
    String host = tagOf(Owner.tempTag());
    Path deadDir =
        Files.createDirectories(data.resolve(".prepared.cxr-" + host + "-" + pid + "-k3x9"));
    Files.writeString(deadDir.resolve("x_train.npy"), "partial");
    Path deadFile =
        Files.writeString(models.resolve(".model.zip.cxr-" + host + "-" + pid + "-a1.tmp"), "x");
    Path live = Files.writeString(models.resolve(".model.zip." + Owner.tempTag() + "-b2.tmp"), "x");
    Path otherHost =
        Files.writeString(models.resolve(".model.zip.cxr-00000000-" + pid + "-c3.tmp"), "x");
    Path user = Files.writeString(models.resolve(".model.zip.backup"), "mine");

    CxrJarIT.Run next =
        CxrJarIT.cxr(tmp, Cli.concat(new String[] {"train", "train.epochs=1"}, paths));
    assertEquals(0, next.code(), "the killed process's lock died with it: " + next.err());
    String meta = Files.readString(runDir.resolve("meta.yaml"));
    assertTrue(meta.contains("status: 4"), "the dead process's run is FAILED: " + meta);
    assertTrue(
        Files.readString(runDir.resolve("tags/cxr.recovered")).contains("owner process " + pid),
        "why it was ended");
    assertTrue(
        next.err()
            .contains("was left RUNNING by process " + pid + ", which is gone: marked FAILED"),
        next.err());
    assertFalse(Files.exists(deadDir), "the dead process's staging folder is removed");
    assertFalse(Files.exists(deadFile), "the dead process's temp file is removed");
    assertTrue(next.err().contains("removed " + deadDir), next.err());
    assertTrue(Files.exists(live), "a live process's temp stays");
    assertTrue(Files.exists(otherHost), "another host's temp stays");
    assertEquals("mine", Files.readString(user), "a user's file stays");
  }

  private static String tagOf(String tempTag) {
    return tempTag.split("-")[1]; // cxr-<host8>-<pid>
  }

  private static Path firstRunWith(Path mlruns, String file) throws Exception {
    if (!Files.isDirectory(mlruns)) {
      return null;
    }
    try (Stream<Path> s = Files.walk(mlruns, 3)) {
      return s.filter(p -> Files.isRegularFile(p.resolve(file))).findFirst().orElse(null);
    }
  }

  private Process start(String... args) throws Exception {
    return new ProcessBuilder(CxrJarIT.command(args))
        .directory(tmp.toFile())
        .redirectOutput(tmp.resolve("train.out").toFile())
        .redirectError(tmp.resolve("train.err").toFile())
        .start();
  }
}
