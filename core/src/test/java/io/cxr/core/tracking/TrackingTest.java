package io.cxr.core.tracking;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.TestData;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrackingTest {
  @TempDir Path tmp;

  @Test
  void aMalformedUriFromTheEnvironmentSaysItCameFromThere() {
    CxrException e =
        assertThrows(
            CxrException.class,
            () ->
                Tracking.open(
                    TestData.config(tmp, "tracking.uri="),
                    Map.of("MLFLOW_TRACKING_URI", "ht!tp://a b"),
                    Reporter.SILENT));
    assertTrue(e.getMessage().contains("ht!tp://a b"), e.getMessage());
    assertTrue(e.getMessage().contains("MLFLOW_TRACKING_URI"), e.getMessage());
  }

  @Test
  void aMalformedUriFromTheConfigDoesNotBlameTheEnvironment() {
    CxrException e =
        assertThrows(
            CxrException.class,
            () ->
                Tracking.open(
                    TestData.config(tmp, "tracking.uri=ht!tp://a b"),
                    Map.of("MLFLOW_TRACKING_URI", "http://127.0.0.1:1"),
                    Reporter.SILENT));
    assertFalse(e.getMessage().contains("MLFLOW_TRACKING_URI"), e.getMessage());
  }

  @Test
  void aFinishedRunIsNotResumedButAKilledOneIs() {
    MirroredTracker t =
        new MirroredTracker(new FileStore(tmp.resolve("mlruns")), null, Reporter.SILENT);
    TrackedRun done = t.start("exp", "finished", Map.of(), null);
    done.end(RunStatus.FINISHED);
    CxrException e =
        assertThrows(CxrException.class, () -> t.resume(done.experimentId(), done.runId()));
    assertTrue(e.getMessage().contains("has finished"), e.getMessage());
    TrackedRun killed = t.start("exp", "killed", Map.of(), null);
    killed.end(RunStatus.KILLED);
    TrackedRun again = t.resume(killed.experimentId(), killed.runId());
    assertTrue(again != null && again.runId().equals(killed.runId()));
    again.end(RunStatus.FINISHED);
  }
}
