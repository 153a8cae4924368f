package io.cxr.core.model;

import io.cxr.core.config.Normalization;

/** Maps a [0, 1] image to the network's input scale, as {@link Normalization} says. */
public final class InputNormalizer {
  private InputNormalizer() {}

  /** Writes the normalised {@code img} into {@code out} at {@code offset}. */
  public static void apply(Normalization mode, float[] img, float[] out, int offset) {
    if (mode == Normalization.NONE) {
      System.arraycopy(img, 0, out, offset, img.length);
      return;
    }
    double sum = 0;
    double sq = 0;
    for (float v : img) {
      sum += v;
      sq += (double) v * v;
    }
    double mean = sum / img.length;
    double std = Math.sqrt(Math.max(sq / img.length - mean * mean, 0));
    float inv = (float) (1.0 / Math.max(std, 1e-3));
    float m = (float) mean;
    for (int i = 0; i < img.length; i++) {
      out[offset + i] = (img[i] - m) * inv;
    }
  }
}
