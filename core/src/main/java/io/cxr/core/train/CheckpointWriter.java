package io.cxr.core.train;

import io.cxr.core.config.CxrConfig;
import io.cxr.core.eval.EpochRecord;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * Writes a network's checkpoint after every epoch (as DJL's {@code SaveModelTrainingListener}): the
 * network with its updater state, early stopping's best weights and state, the epochs so far, so
 * that {@code cxr train --resume} continues exactly where a killed run stopped. Runs after the
 * other listeners, so an epoch that stops or collapses the training is not checkpointed as good.
 */
final class CheckpointWriter implements TrainingListener {
  private final Checkpoint.Plan plan;
  private final CxrConfig cfg;
  private final String manifest;
  private final MultiLayerNetwork net;
  private final EarlyStopping stopping;
  private final List<EpochRecord> history;
  private final double secondsBefore;
  private final long t0;

  /**
   * @param history the member's epochs, updated by the trainer before each {@link #onEpoch}
   * @param secondsBefore time spent before a resume
   * @param t0 when this training started ({@link System#nanoTime()})
   */
  CheckpointWriter(
      Checkpoint.Plan plan,
      CxrConfig cfg,
      String manifest,
      MultiLayerNetwork net,
      EarlyStopping stopping,
      List<EpochRecord> history,
      double secondsBefore,
      long t0) {
    this.plan = plan;
    this.cfg = cfg;
    this.manifest = manifest;
    this.net = net;
    this.stopping = stopping;
    this.history = history;
    this.secondsBefore = secondsBefore;
    this.t0 = t0;
  }

  @Override
  public void onEpoch(EpochRecord r) {
    Checkpoint.write(
        plan.dir(),
        net,
        stopping,
        history,
        secondsBefore + (System.nanoTime() - t0) / 1e9,
        cfg,
        manifest,
        plan.extra());
  }
}
