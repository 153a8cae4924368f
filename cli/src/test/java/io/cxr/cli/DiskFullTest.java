package io.cxr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outputs on a 3 MB tmpfs (mounting needs root: CI runs as root; elsewhere the test is skipped
 * unless CI=true): a full disk and a read-only file system give one line naming the output, exit 2,
 * no partial files, and the previous outputs byte for byte.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DiskFullTest {
  Path tmp;
  Path fs;
  String[] paths;

  @BeforeAll
  void mountASmallFileSystem(@TempDir Path dir) throws Exception {
    tmp = dir;
    fs = Files.createDirectories(tmp.resolve("small"));
    int rc = run("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", fs.toString());
    if (rc != 0) {
      String why = "cannot mount a tmpfs (needs root)";
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError(why);
      }
      Assumptions.abort(why);
    }
    // shared isolated paths, with the models on the small file system (later overrides win)
    paths =
        Stream.concat(
                Stream.of(Cli.isolated(tmp)),
                Stream.of(
                    "paths.models=" + fs.resolve("models"),
                    "train.epochs=1",
                    "model.cnn.filters=[8]",
                    "model.cnn.dense_units=16"))
            .toArray(String[]::new);
  }

  @AfterAll
  void unmount() throws Exception {
    if (fs != null) {
      run("umount", fs.toString());
    }
  }

  private String[] args(String... a) {
    return Stream.concat(Stream.of(a), Stream.of(paths)).toArray(String[]::new);
  }

  @Test
  @Order(1)
  void prepareOnAFullDiskSaysWhereAndLeavesNothing() throws Exception {
    Path npz = Cli.sharedData().resolve("pneumoniamnist/pneumoniamnist.npz");
    Path out = fs.resolve("prepared");
    String[] a = args("prepare", "--source", npz.toString());
    String[] onSmall = java.util.Arrays.copyOf(a, a.length + 1);
    onSmall[a.length] = "paths.prepared=" + out; // last: wins over the shared paths
    Cli r = Cli.run(onSmall);
    assertEquals(2, r.code(), r.toString());
    assertEquals(1, errorLines(r), r.err());
    assertTrue(
        r.err().contains("paths.prepared " + out + ": cannot write it (No space left on device)"),
        r.err());
    assertEquals(List.of(), names(fs), "nothing, not even the lock file");
  }

  @Test
  @Order(2)
  void trainOnAFullDiskOrAReadOnlyOneKeepsThePreviousModelByteForByte() throws Exception {
    Path npz = Cli.sharedData().resolve("pneumoniamnist/pneumoniamnist.npz");
    assertEquals(
        0, Cli.run(args("prepare", "--source", npz.toString(), "data.max_per_class=200")).code());
    Cli first = Cli.run(args("train"));
    assertEquals(0, first.code(), first.toString());
    Path models = fs.resolve("models");
    byte[] model = Files.readAllBytes(models.resolve("model.zip"));
    byte[] metrics = Files.readAllBytes(models.resolve("metrics.json"));
    List<String> before = names(models);

    fill(fs.resolve("filler"), 20 * 1024);
    Cli full = Cli.run(args("train", "seed=7"));
    assertEquals(2, full.code(), full.toString());
    assertEquals(1, errorLines(full), full.err());
    assertTrue(full.err().contains("No space left on device"), full.err());
    assertTrue(full.err().contains(models.toString()), "names the output: " + full.err());
    assertUnchanged(models, model, metrics, before);

    Files.delete(fs.resolve("filler"));
    // a plots folder cxr marked earlier, which then became read-only
    Path plots = Files.createDirectories(fs.resolve("plots/cxr"));
    Files.writeString(plots.resolve(".cxr-outputs"), "cxr writes its outputs here\n");
    assertEquals(0, run("mount", "-o", "remount,ro", fs.toString()));
    try {
      Cli ro = Cli.run(args("train", "seed=7"));
      assertEquals(2, ro.code(), ro.toString());
      assertEquals(1, errorLines(ro), ro.err());
      assertTrue(ro.err().contains("Read-only file system"), ro.err());
      assertUnchanged(models, model, metrics, before);
      // models writable, plots not: refused before the first epoch, not after the training
      Cli art =
          Cli.run(
              Stream.concat(
                      Stream.of(args("train", "seed=7")),
                      Stream.of(
                          "paths.models=" + tmp.resolve("models-rw"),
                          "paths.artifacts=" + plots.getParent()))
                  .toArray(String[]::new));
      assertEquals(2, art.code(), art.toString());
      assertTrue(
          art.err().contains("paths.artifacts " + plots + ": cannot write into it (")
              && art.err().contains("Read-only file system"),
          art.err());
      assertFalse(art.toString().contains("val_auc"), "no epoch trained: " + art);
    } finally {
      run("mount", "-o", "remount,rw", fs.toString());
    }
  }

  private static void assertUnchanged(
      Path models, byte[] model, byte[] metrics, List<String> before) throws IOException {
    assertTrue(
        java.util.Arrays.equals(model, Files.readAllBytes(models.resolve("model.zip"))),
        "model.zip unchanged");
    assertTrue(
        java.util.Arrays.equals(metrics, Files.readAllBytes(models.resolve("metrics.json"))),
        "metrics.json unchanged");
    assertEquals(before, names(models), "no file added or removed");
  }

  /** Fills the file system up to {@code leave} free bytes. */
  private static void fill(Path file, long leave) throws IOException {
    long free = Files.getFileStore(file.getParent()).getUsableSpace();
    byte[] block = new byte[4096];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long n = 0; n + block.length <= free - leave; n += block.length) {
        out.write(block);
      }
    }
  }

  /** The error lines (progress lines go to stderr too). */
  private static long errorLines(Cli r) {
    return r.err().lines().filter(l -> l.startsWith("cxr:")).count();
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static int run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    return p.waitFor(60, TimeUnit.SECONDS) ? p.exitValue() : -1;
  }
}
