package io.cxr.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * How a [0, 1] image is mapped to the network's input scale ({@code train.normalization}; stored in
 * the model card so that evaluate and predict do the same).
 */
public enum Normalization {
  /**
   * Zero mean and unit standard deviation per image, which removes exposure and contrast
   * differences between hospitals and scanners (the shift between Kermany's train and test images).
   */
  PER_IMAGE,
  /** The [0, 1] pixels as they are. */
  NONE,
  /**
   * Histogram equalisation per image (256 levels, to [0, 1]): every image's grey levels spread
   * evenly, so any monotonic change of exposure, contrast or gamma between scanners maps to the
   * same input.
   */
  EQUALIZE,
  /**
   * Contrast-limited adaptive histogram equalisation (OpenCV's CLAHE: clip limit 2, 4x4 tiles):
   * equalisation per region, with noise amplification limited.
   */
  CLAHE;

  /** The YAML name (config, model cards, run tags). */
  @JsonValue
  public String key() {
    return Choices.key(this);
  }

  /** The YAML name, so that messages and tags show what the config says. */
  @Override
  public String toString() {
    return key();
  }

  /** The constant of a YAML name (one line naming the choices when it is none of them). */
  @JsonCreator
  public static Normalization of(String key) {
    return Choices.of(Normalization.class, key);
  }
}
