package io.cxr.core.eval;

/** What one training epoch measured. */
public record EpochRecord(
    int epoch,
    int epochs,
    double trainLoss,
    double valLoss,
    double valAuc,
    double seconds,
    double imagesPerSecond,
    boolean improved) {}
