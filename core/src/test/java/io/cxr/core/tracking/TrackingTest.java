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
}
