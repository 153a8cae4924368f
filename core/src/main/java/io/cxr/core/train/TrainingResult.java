package io.cxr.core.train;

import io.cxr.core.data.Split;
import io.cxr.core.eval.BinaryMetrics;
import io.cxr.core.eval.EpochRecord;
import io.cxr.core.eval.OperatingPoint;
import io.cxr.core.model.ModelBundle;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one training produced, typed: the model, its epochs, its operating point and its metrics on
 * each split and external set. {@link #flatMetrics()} is its written form (metrics.json and the
 * tracked run's metrics), made in one place so that the keys and their order never drift.
 *
 * @param model the trained networks with their card
 * @param history every epoch of every ensemble member, numbered on across members
 * @param splits metrics at the model's threshold: train, val and (unless a search trial) test
 * @param external the final model on the external sets: pooled first, then each set when several
 * @param operatingPoint the calibration and threshold fitted after training
 * @param bestEpoch the first member's best epoch (early stopping)
 * @param seconds wall time, including time before a resume
 * @param imageSize the side of the square input
 * @param parameters trainable parameters over all members
 * @param members ensemble members
 * @param valEceUncalibrated validation's expected calibration error before calibration
 * @param test the test split's labels and calibrated scores (empty for a search trial)
 */
public record TrainingResult(
    ModelBundle model,
    List<EpochRecord> history,
    Map<Split, BinaryMetrics> splits,
    List<ExternalScores> external,
    OperatingPoint operatingPoint,
    int bestEpoch,
    double seconds,
    int imageSize,
    long parameters,
    int members,
    double valEceUncalibrated,
    Scores test) {

  /** The metric-key prefix of the pooled external sets. */
  public static final String EXTERNAL = "external";

  /** Labels with calibrated scores. */
  public record Scores(int[] labels, float[] scores) {}

  /**
   * The final model's calibrated scores on one external set ({@code data.external}), with its
   * metrics at the model's threshold; {@code name} is {@value #EXTERNAL} for the pooled sets.
   */
  public record ExternalScores(String name, int[] labels, float[] scores, BinaryMetrics metrics) {}

  /** The decision threshold. */
  public double threshold() {
    return operatingPoint.threshold();
  }

  /** The metrics of one split (null for the test split of a search trial). */
  public BinaryMetrics split(Split s) {
    return splits.get(s);
  }

  /** The pooled external sets' scores, when the data has external sets. */
  public Optional<ExternalScores> pooledExternal() {
    return external.isEmpty() ? Optional.empty() : Optional.of(external.get(0));
  }

  /** Mean training throughput over the epochs run. */
  public double trainImagesPerSecond() {
    return history.stream().mapToDouble(EpochRecord::imagesPerSecond).average().orElse(0);
  }

  /** The same result with another model bundle (e.g. one whose card gained provenance). */
  public TrainingResult withModel(ModelBundle m) {
    return new TrainingResult(
        m,
        history,
        splits,
        external,
        operatingPoint,
        bestEpoch,
        seconds,
        imageSize,
        parameters,
        members,
        valEceUncalibrated,
        test);
  }

  /**
   * The result flattened to metric names, as metrics.json and the tracker store it: each split's
   * and external set's figures under its prefix, then the training's own figures.
   */
  public Map<String, Double> flatMetrics() {
    Map<String, Double> m = new LinkedHashMap<>();
    for (var e : splits.entrySet()) {
      m.putAll(e.getValue().flat(e.getKey().key()));
    }
    m.put("threshold", threshold());
    m.put("best_epoch", (double) bestEpoch);
    m.put("epochs_run", (double) history.size());
    m.put("train_seconds", seconds);
    m.put("train_images_per_second", trainImagesPerSecond());
    m.put("image_size", (double) imageSize);
    m.put("parameters", (double) parameters);
    if (members > 1) {
      m.put("ensemble_members", (double) members);
    }
    for (ExternalScores e : external) {
      m.putAll(e.metrics().flat(e.name()));
    }
    pooledExternal()
        .ifPresent(
            e ->
                m.put(
                    "shift_auc_gap", splits.get(Split.VAL).roc().auc() - e.metrics().roc().auc()));
    m.put("calibration_temperature", operatingPoint.calibration().temperature());
    m.put("calibration_bias", operatingPoint.calibration().bias());
    m.put("val_ece_uncalibrated", valEceUncalibrated);
    return m;
  }
}
