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

  /** One image's value summary, computed where the image is decoded and merged here. */
  record Image(double min, double max, double sum, long values, long nonFinite) {
    static Image of(float[] px, int offset, int length) {
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      double sum = 0;
      long values = 0;
      long nonFinite = 0;
      for (int i = offset; i < offset + length; i++) {
        float v = px[i];
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
      return new Image(min, max, sum, values, nonFinite);
    }
  }

  void add(Image img, int label) {
    perClass[label]++;
    min = Math.min(min, img.min());
    max = Math.max(max, img.max());
    sum += img.sum();
    values += img.values();
    nonFinite += img.nonFinite();
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
