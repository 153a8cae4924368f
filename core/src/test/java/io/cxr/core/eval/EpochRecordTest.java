package io.cxr.core.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** An epoch with and without the external sets' figures. */
class EpochRecordTest {
  @Test
  void anEpochWithoutExternalSetsHasNone() {
    EpochRecord r = new EpochRecord(1, 5, 0.6, 0.5, 0.9, 2, 100, true, 0.8);
    assertFalse(r.hasExternal());
    assertTrue(Double.isNaN(r.externalAuc()));
    assertTrue(Double.isNaN(r.externalLoss()));
  }

  @Test
  void anEpochWithExternalSetsCarriesTheirFigures() {
    EpochRecord r = new EpochRecord(1, 5, 0.6, 0.5, 0.9, 2, 100, true, 0.8, 0.7, 0.85);
    assertTrue(r.hasExternal());
    assertEquals(0.85, r.externalAuc());
    assertEquals(0.7, r.externalLoss());
    // a diverged epoch's AUC is NaN but its loss was measured: still an external epoch
    assertTrue(
        new EpochRecord(1, 5, 0.6, 0.5, 0.9, 2, 100, true, 0.8, 0.7, Double.NaN).hasExternal());
    assertTrue(
        new EpochRecord(1, 5, 0.6, 0.5, 0.9, 2, 100, true, 0.8, Double.NaN, 0.8).hasExternal());
  }

  @Test
  void aRenumberedEpochKeepsEveryFigure() {
    EpochRecord r = new EpochRecord(2, 5, 0.6, 0.5, 0.9, 2, 100, true, 0.8, 0.7, 0.85);
    EpochRecord s = r.renumbered(7, 10);
    org.junit.jupiter.api.Assertions.assertEquals(
        new EpochRecord(7, 10, 0.6, 0.5, 0.9, 2, 100, true, 0.8, 0.7, 0.85), s);
    org.junit.jupiter.api.Assertions.assertEquals(
        new EpochRecord(2, 5, 0.6, 0.5, 0.9, 2, 100, false, 0.8, 0.7, 0.85), r.withImproved(false));
  }
}
