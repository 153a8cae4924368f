package io.cxr.core.train;

import io.cxr.core.eval.EpochRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Early stopping on a validation figure as a training listener: AUC, or log-loss (which keeps
 * telling epochs apart when a nearly separable validation split saturates AUC). An epoch improves
 * when its figure beats the best so far by more than {@code min_delta}; the best epoch's weights
 * are kept, and training stops after {@code patience} epochs without improvement. The best figure
 * is held as a score where higher is better: the AUC, or minus the log-loss.
 */
public final class EarlyStopping implements TrainingListener {
  private final int patience;
  private final double minDelta;
  private final boolean onLogLoss;
  private final boolean onExternal;
  private final Supplier<INDArray> weights;
  private double best = Double.NEGATIVE_INFINITY;
  private INDArray bestWeights;
  private int bestEpoch;
  private int stale;

  /**
   * @param weights a copy of the network's current weights (taken when an epoch improves)
   */
  public EarlyStopping(
      int patience, double minDelta, boolean onLogLoss, Supplier<INDArray> weights) {
    this(patience, minDelta, onLogLoss, false, weights);
  }

  /**
   * Early stopping on the validation split's figure, or ({@code onExternal}) on the pooled external
   * sets' ({@code train.early_stopping.on: external}).
   */
  public EarlyStopping(
      int patience,
      double minDelta,
      boolean onLogLoss,
      boolean onExternal,
      Supplier<INDArray> weights) {
    this.patience = patience;
    this.minDelta = minDelta;
    this.onLogLoss = onLogLoss;
    this.onExternal = onExternal;
    this.weights = weights;
  }

  /** The figures an epoch is judged on: the external sets' or the validation split's. */
  public double score(EpochRecord r) {
    return onExternal ? score(r.externalAuc(), r.externalLoss()) : score(r.valAuc(), r.valLoss());
  }

  /** Whether the best epoch is picked on the external sets. */
  public boolean onExternal() {
    return onExternal;
  }

  /** AUC, or log-loss on validation, as a score where higher is better. */
  public double score(double auc, double logLoss) {
    return onLogLoss ? -logLoss : auc;
  }

  /**
   * Whether an epoch with this validation AUC and log-loss would improve on the best (NaN never
   * does).
   */
  public boolean isImprovement(double auc, double logLoss) {
    return score(auc, logLoss) > best + minDelta;
  }

  @Override
  public void onEpoch(EpochRecord r) {
    if (r.improved()) {
      best = score(r);
      bestWeights = weights.get();
      bestEpoch = r.epoch();
      stale = 0;
    } else {
      stale++;
    }
  }

  public boolean shouldStop() {
    return stale >= patience;
  }

  /** Epochs since the last improvement. */
  public int stale() {
    return stale;
  }

  /** The best epoch's weights, or null when no epoch improved (validation AUC never finite). */
  public INDArray bestWeights() {
    return bestWeights;
  }

  public int bestEpoch() {
    return bestEpoch;
  }

  /**
   * The best validation score so far: AUC, or minus the log-loss (negative infinity before the
   * first improvement).
   */
  public double bestScore() {
    return best;
  }

  /**
   * The epochs of a finished training with {@code improved} marked as this rule marked them while
   * it ran: for epochs read back from history.csv, which does not store the mark. An epoch number
   * that does not grow starts the next ensemble member, which has its own early stopping.
   */
  public static List<EpochRecord> replay(
      List<EpochRecord> epochs, double minDelta, boolean onLogLoss, boolean onExternal) {
    List<EpochRecord> out = new ArrayList<>();
    EarlyStopping es = null;
    int last = Integer.MAX_VALUE;
    for (EpochRecord r : epochs) {
      if (es == null || r.epoch() <= last) {
        es = new EarlyStopping(Integer.MAX_VALUE, minDelta, onLogLoss, onExternal, () -> null);
      }
      last = r.epoch();
      boolean improved =
          onExternal
              ? es.isImprovement(r.externalAuc(), r.externalLoss())
              : es.isImprovement(r.valAuc(), r.valLoss());
      EpochRecord marked = r.withImproved(improved);
      es.onEpoch(marked);
      out.add(marked);
    }
    return out;
  }

  /** Takes up the state of a checkpoint (resume). */
  void restore(double score, int epoch, int staleEpochs, INDArray weights) {
    this.best = score;
    this.bestEpoch = epoch;
    this.stale = staleEpochs;
    this.bestWeights = weights;
  }
}
