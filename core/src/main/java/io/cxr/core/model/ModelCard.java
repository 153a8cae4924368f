package io.cxr.core.model;

import io.cxr.core.CxrException;
import io.cxr.core.config.ModelType;
import io.cxr.core.config.Normalization;
import io.cxr.core.data.PreparedDataset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What travels with a trained network inside model.zip: how to feed it, how to decide, and where it
 * came from.
 *
 * @param threshold P(PNEUMONIA) at or above which an image is called PNEUMONIA (chosen on val)
 * @param normalization the {@code train.normalization} used on inputs
 * @param metrics the training run's final metrics (train_f1 is used by the quality gate)
 * @param config the resolved config, as YAML
 * @param temperature the temperature applied to P(PNEUMONIA) ({@code train.calibration:
 *     temperature} or {@code platt}); null in models made before calibration or with {@code none}:
 *     1
 * @param calibrationBias added to the rescaled logit ({@code platt}); null: 0
 * @param crop share of each side cut off image files before resizing ({@code data.crop} of the
 *     training data); null in models made before crops: 0
 */
public record ModelCard(
    String format,
    ModelType modelType,
    int imageSize,
    double threshold,
    Normalization normalization,
    List<String> classes,
    Map<String, Double> metrics,
    Map<String, String> provenance,
    String createdAt,
    String config,
    Double temperature,
    Double calibrationBias,
    Double crop) {
  public static final String FORMAT = "cxr-model/1";

  /** The label of a calibrated P(PNEUMONIA) at this model's threshold (at or above: PNEUMONIA). */
  public io.cxr.core.data.Label label(double probability) {
    return probability >= threshold
        ? io.cxr.core.data.Label.PNEUMONIA
        : io.cxr.core.data.Label.NORMAL;
  }

  /** A copy with one more provenance entry (e.g. the tracking run that produced it). */
  public ModelCard withProvenance(String key, String value) {
    Map<String, String> p = new LinkedHashMap<>(provenance);
    p.put(key, value);
    return new ModelCard(
        format,
        modelType,
        imageSize,
        threshold,
        normalization,
        classes,
        metrics,
        p,
        createdAt,
        config,
        temperature,
        calibrationBias,
        crop);
  }

  /**
   * Refuses, in one line, prepared data this model cannot score as it was trained: images of
   * another size, or cropped differently ({@code data.crop}). Evaluate and report both ask.
   *
   * @param model names the model in the message (its path)
   */
  public void requireFits(PreparedDataset data, Object model) {
    if (data.imageSize() != imageSize) {
      throw new CxrException(
          String.format(
              Locale.ROOT,
              "prepared data %s: images are %dx%d but model %s expects %dx%d (re-run prepare"
                  + " with data.image_size=%d)",
              data.dir(),
              data.imageSize(),
              data.imageSize(),
              model,
              imageSize,
              imageSize,
              imageSize));
    }
    if (data.crop() != cropOrZero()) {
      throw new CxrException(
          String.format(
              Locale.ROOT,
              "prepared data %s: images were cropped by %s per side but model %s expects %s"
                  + " (re-run prepare with data.crop=%s)",
              data.dir(),
              data.crop(),
              model,
              cropOrZero(),
              cropOrZero()));
    }
  }

  /** The bias added to the rescaled logit (0: none). */
  public double calibrationBiasOrZero() {
    return calibrationBias == null || !Double.isFinite(calibrationBias) ? 0.0 : calibrationBias;
  }

  /**
   * The share of each side to cut off an image file before resizing it for this model (0: none).
   */
  public double cropOrZero() {
    return crop == null || !(crop > 0) ? 0.0 : crop;
  }

  /** The temperature to apply to the network's scores (1: none). */
  public double temperatureOrOne() {
    return temperature == null || !(temperature > 0) ? 1.0 : temperature;
  }
}
