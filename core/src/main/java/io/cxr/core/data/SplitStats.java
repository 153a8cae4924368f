package io.cxr.core.data;

/** Counts and value checks gathered while one split is written. */
public final class SplitStats {
  private final int[] perClass = new int[2];
  private double min = Double.POSITIVE_INFINITY;
  private double max = Double.NEGATIVE_INFINITY;
  private double sum;
  private long values;
  private long nonFinite;
  private int dropped;

  void add(float[] image, int label) {
    add(image, 0, image.length, label);
  }

  /** Adds the image held in {@code images[offset, offset + length)}. */
  void add(float[] images, int offset, int length, int label) {
    perClass[label]++;
    for (int i = offset; i < offset + length; i++) {
      float v = images[i];
      if (!Float.isFinite(v)) {
        nonFinite++;
        continue;
      }
      if (v < min) {
        min = v;
      }
      if (v > max) {
        max = v;
      }
      sum += v;
      values++;
    }
  }

  void dropped() {
    dropped++;
  }

  public int count() {
    return perClass[0] + perClass[1];
  }

  public int count(Label l) {
    return perClass[l.index()];
  }

  public double min() {
    return min;
  }

  public double max() {
    return max;
  }

  public double mean() {
    return values == 0 ? Double.NaN : sum / values;
  }

  public long nonFinite() {
    return nonFinite;
  }

  public int droppedDuplicates() {
    return dropped;
  }
}
