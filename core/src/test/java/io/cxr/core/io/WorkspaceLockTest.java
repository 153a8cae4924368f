package io.cxr.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.CxrException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkspaceLockTest {
  @Test
  void aSecondWriterIsRefusedNamingTheHolderUntilTheFirstLetsGo(@TempDir Path tmp) {
    Path models = tmp.resolve("models");
    try (WorkspaceLock first = WorkspaceLock.acquire(models, true, "paths.models", "cxr train")) {
      assertTrue(Files.isRegularFile(models.resolve(".cxr-lock")));
      refusedWith(
          models, "paths.models " + models + ": in use by cxr train (pid " + Owner.pid() + " on ");
    }
    // released: the next writer gets it
    WorkspaceLock.acquire(models, true, "paths.models", "cxr train").close();
    Path prepared = tmp.resolve("data/prepared");
    try (WorkspaceLock l = WorkspaceLock.acquire(prepared, false, "paths.prepared", "x")) {
      assertTrue(Files.isRegularFile(tmp.resolve("data/.prepared.cxr-lock")), "beside");
    }
  }

  @Test
  void aWaitingWriterGetsTheLockOnceItsHolderLetsGoAndGivesUpAfterItsPatience(@TempDir Path tmp)
      throws Exception {
    Path prepared = tmp.resolve("data/prepared");
    WorkspaceLock first = WorkspaceLock.acquire(prepared, false, "paths.prepared", "cxr prepare");
    WorkspaceLock.InUse impatient =
        assertThrows(
            WorkspaceLock.InUse.class,
            () ->
                WorkspaceLock.await(
                    prepared, false, "paths.prepared", "x", java.time.Duration.ofMillis(300)));
    assertTrue(impatient.getMessage().contains("in use by cxr prepare"), impatient.getMessage());
    Thread release =
        new Thread(
            () -> {
              try {
                Thread.sleep(500);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              first.close();
            });
    release.start();
    try (WorkspaceLock second =
        WorkspaceLock.await(
            prepared, false, "paths.prepared", "cxr optimize", java.time.Duration.ofMinutes(1))) {
      assertTrue(
          Files.readString(tmp.resolve("data/.prepared.cxr-lock")).startsWith("cxr optimize"));
    }
    assertFalse(
        Files.exists(tmp.resolve("data/.prepared.cxr-lock")), "the lock it returned closed");
    release.join();
  }

  @Test
  void aWaitingWriterThatIsInterruptedStopsWaitingAndKeepsTheInterrupt(@TempDir Path tmp)
      throws Exception {
    Path prepared = tmp.resolve("data/prepared");
    try (WorkspaceLock first =
        WorkspaceLock.acquire(prepared, false, "paths.prepared", "cxr prepare")) {
      java.util.concurrent.atomic.AtomicReference<Object> outcome =
          new java.util.concurrent.atomic.AtomicReference<>();
      java.util.concurrent.atomic.AtomicBoolean flag =
          new java.util.concurrent.atomic.AtomicBoolean();
      Thread waiter =
          new Thread(
              () -> {
                try {
                  outcome.set(
                      WorkspaceLock.await(
                          prepared, false, "paths.prepared", "x", java.time.Duration.ofMinutes(5)));
                } catch (WorkspaceLock.InUse e) {
                  outcome.set(e);
                }
                flag.set(Thread.currentThread().isInterrupted());
              });
      waiter.start();
      Thread.sleep(300);
      waiter.interrupt();
      // it sleeps between attempts, so the interrupt ends its wait (not its 5 minutes' patience)
      waiter.join(60_000);
      assertFalse(waiter.isAlive(), "an interrupted wait ends");
      assertTrue(outcome.get() instanceof WorkspaceLock.InUse, "" + outcome.get());
      assertTrue(flag.get(), "the thread's interrupt status is kept");
    }
  }

  @Test
  void aRefusedWriterLeavesNoOpenFileAndAClosedLockCanBeTakenAgainInTheSameProcess(
      @TempDir Path tmp) throws Exception {
    Path models = tmp.resolve("models");
    WorkspaceLock first = WorkspaceLock.acquire(models, true, "paths.models", "cxr train");
    long before = openFiles();
    for (int i = 0; i < 5; i++) {
      assertThrows(
          CxrException.class, () -> WorkspaceLock.acquire(models, true, "paths.models", "x"));
    }
    assertEquals(before, openFiles(), "each refusal closes the file it opened");
    first.close();
    WorkspaceLock.acquire(models, true, "paths.models", "cxr train").close();
  }

  /**
   * A command that ends, even by an error, takes its lock file with it; a killed one's is reused.
   */
  @Test
  void theLockFileGoesWithItsCommandAndALeftoverOneIsTakenOver(@TempDir Path tmp) throws Exception {
    Path models = tmp.resolve("models");
    try (WorkspaceLock l = WorkspaceLock.acquire(models, true, "paths.models", "cxr train")) {
      assertTrue(Files.exists(models.resolve(".cxr-lock")));
    }
    assertFalse(Files.exists(models.resolve(".cxr-lock")), "removed on close");
    Files.writeString(models.resolve(".cxr-lock"), "cxr train (pid 1 on gone, since then)");
    try (WorkspaceLock l = WorkspaceLock.acquire(models, true, "paths.models", "cxr train")) {
      assertTrue(
          Files.readString(models.resolve(".cxr-lock")).contains("pid " + Owner.pid()),
          "a killed command's unlocked file is taken over");
    }
    assertFalse(Files.exists(models.resolve(".cxr-lock")));
  }

  /**
   * A lock taken on a file its holder removed at that moment is let go and taken again on the new
   * file; a file that keeps vanishing ends in one line. The process's descriptor links are faked:
   * one says the lock file is "(deleted)".
   */
  @Test
  void aLockOnARemovedFileIsRetakenAndOneThatKeepsVanishingIsRefused(@TempDir Path tmp)
      throws Exception {
    Path models = Files.createDirectories(tmp.resolve("models"));
    Path fds = Files.createDirectories(tmp.resolve("fds"));
    Files.createSymbolicLink(
        fds.resolve("3"), Path.of(models.toRealPath() + "/.cxr-lock (deleted)"));
    long before = openFiles();
    CxrException e =
        assertThrows(
            CxrException.class,
            () -> WorkspaceLock.acquire(models, true, "paths.models", "cxr train", fds));
    assertEquals(
        "paths.models "
            + models
            + ": its lock file keeps vanishing; is another cxr command starting and ending in a"
            + " loop?",
        e.getMessage());
    assertEquals(before, openFiles(), "each attempt closes the file it opened");
    // a descriptor naming the live file, or no procfs at all: the lock holds
    Files.delete(fds.resolve("3"));
    Files.createSymbolicLink(fds.resolve("3"), models.toRealPath().resolve(".cxr-lock"));
    WorkspaceLock.acquire(models, true, "paths.models", "cxr train", fds).close();
    WorkspaceLock.acquire(models, true, "paths.models", "cxr train", tmp.resolve("none")).close();
    assertFalse(Files.exists(models.resolve(".cxr-lock")));
  }

  @Test
  void aLockFileThatCannotBeOpenedIsOneLineNamingIt(@TempDir Path tmp) throws Exception {
    Path models = tmp.resolve("models");
    Files.createDirectories(models.resolve(".cxr-lock")); // a folder where the lock file goes
    refusedWith(models, "paths.models " + models + ": cannot lock " + models.resolve(".cxr-lock"));
  }

  private static long openFiles() throws Exception {
    try (var s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    }
  }

  /** {@code cxr train}'s lock of {@code models} is refused with a message starting so. */
  private static void refusedWith(Path models, String start) {
    CxrException e =
        assertThrows(
            CxrException.class,
            () -> WorkspaceLock.acquire(models, true, "paths.models", "cxr train"));
    assertTrue(e.getMessage().startsWith(start), e.getMessage());
  }
}
