package io.cxr.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path tmp;

  @Test
  void writtenFilesAndStagedFoldersGetTheUmasksPermissionsNotOwnerOnly() throws Exception {
    Path plain = Files.createFile(tmp.resolve("plain")); // what the umask gives a new file
    Path plainDir = Files.createDirectory(tmp.resolve("plain-dir"));
    Path out = tmp.resolve("out.txt");
    AtomicFiles.writeString(out, "x");
    assertEquals(
        Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(out), "file mode");
    Path staged = AtomicFiles.tempDirBeside(tmp.resolve("published"));
    assertEquals(
        Files.getPosixFilePermissions(plainDir),
        Files.getPosixFilePermissions(staged),
        "folder mode");
  }

  @Test
  void noTempFileIsLeftBehindAndTheContentIsComplete() throws Exception {
    Path out = tmp.resolve("a.json");
    AtomicFiles.writeString(out, "{\"a\": 1}");
    AtomicFiles.writeString(out, "{\"a\": 2}");
    assertEquals("{\"a\": 2}", Files.readString(out));
    try (Stream<Path> s = Files.list(tmp)) {
      assertFalse(s.anyMatch(p -> p.getFileName().toString().endsWith(".tmp")));
    }
  }

  @Test
  void publishingAFolderOverAnEarlierOneLeavesOnlyTheNewOne() throws Exception {
    Path target = tmp.resolve("prepared");
    for (String content : new String[] {"first", "second"}) {
      Path staged = AtomicFiles.tempDirBeside(target);
      Files.writeString(Files.createDirectories(staged.resolve("sub")).resolve("x.npy"), content);
      AtomicFiles.publishDir(staged, target);
    }
    assertEquals("second", Files.readString(target.resolve("sub/x.npy")));
    try (Stream<Path> s = Files.list(tmp)) {
      assertEquals(java.util.List.of(target), s.toList(), "no staged or old folder left");
    }
  }
}
