package io.cxr.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OwnerTest {
  /** The pid of a process that has ended. */
  private static long deadPid() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    return p.pid();
  }

  @Test
  void anOwnerIsGoneOnlyWhenItsPidIsDeadOrReusedOnThisHost() throws Exception {
    long dead = deadPid();
    assertTrue(Owner.gone(Owner.host(), dead, ""), "dead pid");
    assertFalse(Owner.gone("another-host", dead, ""), "another host: unknown, so not gone");
    assertFalse(Owner.gone(Owner.host(), Owner.pid(), Owner.started()), "this process is alive");
    assertTrue(
        Owner.gone(Owner.host(), Owner.pid(), "1970-01-01T00:00:00Z"),
        "the pid now runs a process started after the owner: reused");
    assertFalse(Owner.gone(Owner.host(), -1, ""), "no pid recorded");
  }

  @Test
  void aTempFileNamesItsOwnerAndASweepRemovesOnlyDeadOwnersTemps(@TempDir Path dir)
      throws Exception {
    AtomicFiles.writeString(dir.resolve("out.txt"), "x");
    Path staged = AtomicFiles.tempDirBeside(dir.resolve("prepared"));
    assertTrue(
        staged.getFileName().toString().startsWith(".prepared." + Owner.tempTag() + "-"),
        staged.toString());
    String host = Owner.tempTag().split("-")[1];
    long dead = deadPid();
    Path orphan = Files.createDirectories(dir.resolve(".prepared.cxr-" + host + "-" + dead + "-z"));
    Path keep1 = Files.writeString(dir.resolve(".prepared.cxr-" + host + "-x-z"), "not a pid");
    Path keep2 =
        Files.writeString(dir.resolve("cxr-" + host + "-" + dead + "-z.tmp"), "not hidden");
    List<String> said = new ArrayList<>();
    List<Path> removed = Owner.sweep(List.of(dir, dir), said::add);
    assertEquals(List.of(orphan), removed);
    assertEquals(1, said.size(), said.toString());
    assertTrue(Files.exists(staged), "this process's own staging folder stays");
    assertTrue(Files.exists(keep1) && Files.exists(keep2) && Files.exists(dir.resolve("out.txt")));
  }

  @Test
  void anOwnerWhoseStartIsUnknownOrUnreadableOrLaterIsNotGone() {
    String later = java.time.Instant.now().plusSeconds(3600).toString();
    assertFalse(Owner.gone(Owner.host(), Owner.pid(), ""), "alive, start unknown");
    assertFalse(Owner.gone(Owner.host(), Owner.pid(), "yesterday"), "unreadable start");
    assertFalse(Owner.gone(Owner.host(), Owner.pid(), later), "started before the owner said");
    assertFalse(Owner.gone(Owner.host(), 0, ""), "pid 0 is no owner");
    java.time.Instant started = java.time.Instant.parse(Owner.started());
    assertTrue(started.isBefore(java.time.Instant.now()), started.toString());
  }

  @Test
  void aSweepRemovesADeadOwnersStagingFolderWithItsContents(@TempDir Path dir) throws Exception {
    String host = Owner.tempTag().split("-")[1];
    long dead = deadPid();
    Path orphan = Files.createDirectories(dir.resolve(".models.cxr-" + host + "-" + dead + "-q"));
    Files.writeString(Files.createDirectories(orphan.resolve("sub")).resolve("model.zip"), "x");
    List<String> said = new ArrayList<>();
    assertEquals(List.of(orphan), Owner.sweep(List.of(dir), said::add));
    assertFalse(Files.exists(orphan));
    assertEquals(
        List.of("removed " + orphan + ", left by cxr process " + dead + " which is gone"), said);
  }
}
