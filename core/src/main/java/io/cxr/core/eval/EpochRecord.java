package io.cxr.core.eval;

/**
 * What one training epoch measured; {@code valScoreSpread} is max - min of the validation scores (0
 * when the network outputs one constant).
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
    double valScoreSpread) {}
