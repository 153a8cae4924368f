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
    if (mode == Normalization.EQUALIZE) {
      equalize(in, from, length, out, offset);
      return;
    }
    if (mode == Normalization.CLAHE) {
      Clahe.apply(in, from, length, out, offset);
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

  /** Grey levels of the equalisation histogram. */
  static final int LEVELS = 256;

  /**
   * Histogram equalisation: each pixel becomes the share of the image's pixels at or below its grey
   * level (of {@value #LEVELS}), rescaled so the darkest level present maps to 0 and the brightest
   * to 1; a constant image maps to 0.
   */
  static void equalize(float[] in, int from, int length, float[] out, int offset) {
    int[] hist = new int[LEVELS];
    for (int i = from; i < from + length; i++) {
      hist[level(in[i])]++;
    }
    int[] cdf = new int[LEVELS];
    int run = 0;
    int min = -1;
    for (int k = 0; k < LEVELS; k++) {
      run += hist[k];
      cdf[k] = run;
      if (min < 0 && hist[k] > 0) {
        min = run;
      }
    }
    float span = length - min;
    for (int i = 0; i < length; i++) {
      out[offset + i] = span <= 0 ? 0f : (cdf[level(in[from + i])] - min) / span;
    }
  }

  /** A [0, 1] value's grey level in 0..255 (NaN and out-of-range values clamped). */
  static int level(float v) {
    int k = Math.round(v * (LEVELS - 1));
    return k < 0 ? 0 : Math.min(k, LEVELS - 1);
  }
}
