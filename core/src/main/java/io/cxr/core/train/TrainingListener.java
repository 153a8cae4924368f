package io.cxr.core.train;

/** Receives training events: progress display, trackers, checkpoints. */
public interface TrainingListener {
  /** Called once before the first epoch. */
  default void onStart(String modelType, long parameters, int trainImages, int epochs) {}

  /** Called after each minibatch of an epoch. */
  default void onBatch(int epoch, int batch, int batches) {}

  /** Called after each epoch, once validation is scored. */
  default void onEpoch(EpochRecord record) {}
}
