package io.cxr.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.CxrException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputFolderTest {
  @TempDir Path tmp;

  @Test
  void aNewFolderIsCreatedAndMarked() {
    Path dir = tmp.resolve("reports");
    OutputFolder.claim(dir, List.of("evaluation.json"), "paths.reports");
    assertTrue(Files.isRegularFile(dir.resolve(OutputFolder.MARKER)));
  }

  @Test
  void anUnmarkedFolderWithoutTheNamedFilesIsClaimedAndItsFilesKept() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("home"));
    Files.writeString(dir.resolve("notes.txt"), "mine");
    OutputFolder.claim(dir, List.of("evaluation.json"), "-o");
    assertTrue(Files.isRegularFile(dir.resolve(OutputFolder.MARKER)));
    assertEquals("mine", Files.readString(dir.resolve("notes.txt")));
  }

  @Test
  void aFileCxrWouldReplaceInAnUnmarkedFolderIsRefusedAndKept() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("conf"));
    Files.writeString(dir.resolve("config.yaml"), "mine");
    CxrException e =
        assertThrows(
            CxrException.class,
            () -> OutputFolder.claim(dir, List.of("evaluation.json", "config.yaml"), "-o"));
    assertEquals(
        "-o "
            + dir
            + ": holds config.yaml, which cxr did not write (no .cxr-outputs marker in the"
            + " folder); refusing to replace it: move it away or choose another folder",
        e.getMessage());
    assertEquals("mine", Files.readString(dir.resolve("config.yaml")));
    assertFalse(Files.exists(dir.resolve(OutputFolder.MARKER)), "not claimed");
  }

  @Test
  void aMarkedFolderIsCxrsToWriteIn() throws Exception {
    Path dir = tmp.resolve("models");
    OutputFolder.claim(dir, List.of("model.zip"), "paths.models");
    Files.writeString(dir.resolve("model.zip"), "an earlier model");
    OutputFolder.claim(dir, List.of("model.zip"), "paths.models"); // no exception
  }

  @Test
  void aFileWhereTheFolderShouldBeIsRefused() throws Exception {
    Path f = Files.writeString(tmp.resolve("reports"), "mine");
    CxrException e =
        assertThrows(
            CxrException.class, () -> OutputFolder.claim(f, List.of("a.json"), "paths.reports"));
    assertTrue(e.getMessage().startsWith("paths.reports " + f + ": is a file"), e.getMessage());
    assertEquals("mine", Files.readString(f));
  }

  @Test
  void checkSaysWhetherTheFolderStillNeedsItsMarker() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("out"));
    assertTrue(OutputFolder.check(dir, List.of("a.json"), "-o"), "unmarked");
    OutputFolder.claim(dir, List.of("a.json"), "-o");
    assertFalse(OutputFolder.check(dir, List.of("a.json"), "-o"), "marked");
  }

  /** A folder cxr can write: the probe leaves nothing; one it cannot: one line before the work. */
  @Test
  void writabilityIsProbedWithoutATrace() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("plots"));
    OutputFolder.requireWritable(dir, "paths.artifacts");
    try (var s = Files.list(dir)) {
      org.junit.jupiter.api.Assertions.assertEquals(0, s.count(), "the probe file is removed");
    }
    Path missing = tmp.resolve("gone/plots");
    io.cxr.core.CxrException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            io.cxr.core.CxrException.class,
            () -> OutputFolder.requireWritable(missing, "paths.artifacts"));
    org.junit.jupiter.api.Assertions.assertTrue(
        e.getMessage().startsWith("paths.artifacts " + missing + ": cannot write into it (")
            && e.getMessage().contains(".cxr-probe-")
            && e.getMessage().endsWith("); checked before the work starts"),
        e.getMessage());
    // the OS's reason when it gives one (here ENOTDIR: a file where the folder should be)
    Path file = Files.writeString(tmp.resolve("plots.txt"), "not a folder");
    io.cxr.core.CxrException f =
        org.junit.jupiter.api.Assertions.assertThrows(
            io.cxr.core.CxrException.class,
            () -> OutputFolder.requireWritable(file, "paths.artifacts"));
    org.junit.jupiter.api.Assertions.assertEquals(
        "paths.artifacts "
            + file
            + ": cannot write into it (Not a directory); checked before the work starts",
        f.getMessage());
  }
}
