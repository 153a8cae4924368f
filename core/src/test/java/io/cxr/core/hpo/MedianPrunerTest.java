package io.cxr.core.hpo;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MedianPrunerTest {
  private static MedianPruner withThreeCompleted() {
    MedianPruner p = new MedianPruner(true, 2, 3);
    p.complete(new double[] {0.6, 0.7, 0.8});
    p.complete(new double[] {0.5, 0.8, 0.9});
    p.complete(new double[] {0.7, 0.9}); // stopped early: keeps its last value
    return p;
  }

  @Test
  void aTrialBelowTheMedianAfterTheWarmupIsPruned() {
    MedianPruner p = withThreeCompleted();
    // epoch 2: completed 0.7, 0.8, 0.9 -> median 0.8
    assertTrue(p.shouldPrune(2, 0.79));
    assertFalse(p.shouldPrune(2, 0.8), "at the median is not below it");
    // epoch 3: 0.8, 0.9, 0.9 (the short trial's last value) -> median 0.9
    assertTrue(p.shouldPrune(3, 0.89));
    assertFalse(p.shouldPrune(3, 0.9));
  }

  @Test
  void theMedianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
    MedianPruner p = withThreeCompleted();
    p.complete(new double[] {0.1, 0.6});
    // epoch 2: 0.6, 0.7, 0.8, 0.9 -> median 0.75
    assertTrue(p.shouldPrune(2, 0.74));
    assertFalse(p.shouldPrune(2, 0.75));
  }

  @Test
  void noPruningBeforeTheWarmupBeforeEnoughTrialsOrWhenDisabled() {
    assertFalse(withThreeCompleted().shouldPrune(1, 0.0), "epoch 1 < warm-up 2");
    MedianPruner two = new MedianPruner(true, 2, 3);
    two.complete(new double[] {0.9, 0.9});
    two.complete(new double[] {0.9, 0.9});
    assertFalse(two.shouldPrune(2, 0.0), "2 completed < min_trials 3");
    MedianPruner off = new MedianPruner(false, 1, 1);
    off.complete(new double[] {0.9});
    assertFalse(off.shouldPrune(1, 0.0));
  }

  @Test
  void anEmptyCurveIsNotACompletedTrial() {
    MedianPruner p = new MedianPruner(true, 1, 1);
    p.complete(new double[0]);
    assertFalse(p.shouldPrune(1, 0.0));
  }
}
