package io.cxr.core.eval;

/**
 * What one training epoch measured; {@code valScoreSpread} is max - min of the validation scores (0
 * when the network outputs one constant); {@code externalLoss} and {@code externalAuc} are the
 * pooled external validation sets' figures ({@code data.external}), NaN when there is none.
 */
public record EpochRecord(
    int epoch,
    int epochs,
    double trainLoss,
    double valLoss,
    double valAuc,
    double seconds,
    double imagesPerSecond,
    boolean improved,
    double valScoreSpread,
    double externalLoss,
    double externalAuc) {
  /** An epoch of a training without external sets. */
  public EpochRecord(
      int epoch,
      int epochs,
      double trainLoss,
      double valLoss,
      double valAuc,
      double seconds,
      double imagesPerSecond,
      boolean improved,
      double valScoreSpread) {
    this(
        epoch,
        epochs,
        trainLoss,
        valLoss,
        valAuc,
        seconds,
        imagesPerSecond,
        improved,
        valScoreSpread,
        Double.NaN,
        Double.NaN);
  }

  /** Whether the external sets were scored in this epoch. */
  public boolean hasExternal() {
    return !Double.isNaN(externalAuc) || !Double.isNaN(externalLoss);
  }

  /** The same epoch under another number, of {@code total} (an ensemble member's, numbered on). */
  public EpochRecord renumbered(int number, int total) {
    return with(number, total, improved);
  }

  /** The same epoch marked as improving the early-stopping figure or not. */
  public EpochRecord withImproved(boolean mark) {
    return with(epoch, epochs, mark);
  }

  private EpochRecord with(int number, int total, boolean mark) {
    return new EpochRecord(
        number,
        total,
        trainLoss,
        valLoss,
        valAuc,
        seconds,
        imagesPerSecond,
        mark,
        valScoreSpread,
        externalLoss,
        externalAuc);
  }
}
