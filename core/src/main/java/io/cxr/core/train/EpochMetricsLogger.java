package io.cxr.core.train;

import io.cxr.core.eval.EpochRecord;
import io.cxr.core.tracking.TrackedRun;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Logs each epoch's figures to a tracked run as {@code epoch_*} series, one point per epoch (step =
 * epoch); the final figures keep their plain names.
 */
public final class EpochMetricsLogger implements TrainingListener {
  /** What a train run records per epoch. */
  public static final List<String> TRAIN_KEYS =
      List.of(
          "epoch_train_loss",
          "epoch_val_loss",
          "epoch_val_auc",
          "epoch_seconds",
          "epoch_images_per_second");

  /** What a search trial records per epoch (its times would only repeat the parent's). */
  public static final List<String> TRIAL_KEYS =
      List.of("epoch_train_loss", "epoch_val_loss", "epoch_val_auc");

  private final TrackedRun run;
  private final List<String> keys;

  public EpochMetricsLogger(TrackedRun run, List<String> keys) {
    this.run = run;
    this.keys = keys;
  }

  @Override
  public void onEpoch(EpochRecord r) {
    Map<String, Double> all = new LinkedHashMap<>();
    all.put("epoch_train_loss", r.trainLoss());
    all.put("epoch_val_loss", r.valLoss());
    all.put("epoch_val_auc", r.valAuc());
    all.put("epoch_seconds", r.seconds());
    all.put("epoch_images_per_second", r.imagesPerSecond());
    Map<String, Double> m = new LinkedHashMap<>();
    keys.forEach(k -> m.put(k, all.get(k)));
    if (r.hasExternal()) {
      // the external sets' series beside validation's (data.external)
      m.put("epoch_external_loss", r.externalLoss());
      m.put("epoch_external_auc", r.externalAuc());
    }
    run.logMetrics(m, r.epoch());
  }
}
