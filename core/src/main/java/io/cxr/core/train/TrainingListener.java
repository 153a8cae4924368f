package io.cxr.core.train;

import io.cxr.core.eval.EpochRecord;
import java.util.List;

/**
 * Receives training events: progress display, tracking, early stopping, pruning. Like DJL's
 * training listeners, each concern is its own listener and the trainer calls them in order.
 */
public interface TrainingListener {
  /** Called once before the first epoch. */
  default void onStart(String modelType, long parameters, int trainImages, int epochs) {}

  /** Called after each minibatch of an epoch. */
  default void onBatch(int epoch, int batch, int batches) {}

  /** Called after each epoch, once validation is scored. */
  default void onEpoch(EpochRecord record) {}

  /** Listeners called in the given order. */
  static TrainingListener all(TrainingListener... listeners) {
    List<TrainingListener> ls = List.of(listeners);
    return new TrainingListener() {
      @Override
      public void onStart(String modelType, long parameters, int trainImages, int epochs) {
        ls.forEach(l -> l.onStart(modelType, parameters, trainImages, epochs));
      }

      @Override
      public void onBatch(int epoch, int batch, int batches) {
        ls.forEach(l -> l.onBatch(epoch, batch, batches));
      }

      @Override
      public void onEpoch(EpochRecord record) {
        ls.forEach(l -> l.onEpoch(record));
      }
    };
  }
}
