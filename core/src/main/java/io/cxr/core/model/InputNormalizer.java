package io.cxr.core.model;

import io.cxr.core.config.Normalization;

/** Maps a [0, 1] image to the network's input scale, as {@link Normalization} says. */
public final class InputNormalizer {
  private InputNormalizer() {}

  /** Writes the normalised {@code img} into {@code out} at {@code offset}. */
  public static void apply(Normalization mode, float[] img, float[] out, int offset) {
    apply(mode, img, 0, img.length, out, offset);
  }

  /**
   * Normalises {@code length} values of {@code x} from {@code offset} in place (one image of a
   * batch that was read straight into the batch).
   */
  public static void applyInPlace(Normalization mode, float[] x, int offset, int length) {
    apply(mode, x, offset, length, x, offset);
  }

  private static void apply(
      Normalization mode, float[] in, int from, int length, float[] out, int offset) {
    if (mode == Normalization.NONE) {
      System.arraycopy(in, from, out, offset, length);
      return;
    }
    double sum = 0;
    double sq = 0;
    for (int i = from; i < from + length; i++) {
      float v = in[i];
      sum += v;
      sq += (double) v * v;
    }
    double mean = sum / length;
    double std = Math.sqrt(Math.max(sq / length - mean * mean, 0));
    float inv = (float) (1.0 / Math.max(std, 1e-3));
    float m = (float) mean;
    for (int i = 0; i < length; i++) {
      out[offset + i] = (in[from + i] - m) * inv;
    }
  }
}
