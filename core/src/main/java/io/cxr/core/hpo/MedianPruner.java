package io.cxr.core.hpo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Optuna's median rule, which Arbiter lacks: a trial whose best validation AUC up to epoch k is
 * below the median of the completed trials' best-so-far at epoch k is stopped (k >= warm-up, once
 * enough trials have completed). A completed trial that stopped early keeps its last value.
 */
public final class MedianPruner {
  private final boolean enabled;
  private final int warmupEpochs;
  private final int minTrials;
  private final List<double[]> completed = new ArrayList<>();

  public MedianPruner(boolean enabled, int warmupEpochs, int minTrials) {
    this.enabled = enabled;
    this.warmupEpochs = warmupEpochs;
    this.minTrials = minTrials;
  }

  /** Records a completed trial's best-so-far validation AUC per epoch. */
  public synchronized void complete(double[] bestSoFar) {
    if (bestSoFar.length > 0) {
      completed.add(bestSoFar.clone());
    }
  }

  /** Whether a running trial should stop after {@code epoch} (1-based). */
  public synchronized boolean shouldPrune(int epoch, double bestSoFar) {
    if (!enabled || epoch < warmupEpochs || completed.size() < minTrials) {
      return false;
    }
    double[] at = new double[completed.size()];
    for (int i = 0; i < at.length; i++) {
      double[] c = completed.get(i);
      at[i] = c[Math.min(epoch, c.length) - 1];
    }
    Arrays.sort(at);
    double median =
        at.length % 2 == 1 ? at[at.length / 2] : (at[at.length / 2 - 1] + at[at.length / 2]) / 2;
    return bestSoFar < median;
  }
}
