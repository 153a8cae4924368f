package io.cxr.core.io;

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
      CxrException e =
          assertThrows(
              CxrException.class,
              () -> WorkspaceLock.acquire(models, true, "paths.models", "cxr train"));
      assertTrue(
          e.getMessage()
              .startsWith(
                  "paths.models " + models + ": in use by cxr train (pid " + Owner.pid() + " on "),
          e.getMessage());
    }
    // released: the next writer gets it
    WorkspaceLock.acquire(models, true, "paths.models", "cxr train").close();
    Path prepared = tmp.resolve("data/prepared");
    try (WorkspaceLock l = WorkspaceLock.acquire(prepared, false, "paths.prepared", "x")) {
      assertTrue(Files.isRegularFile(tmp.resolve("data/.prepared.cxr-lock")), "beside");
    }
  }
}
