package io.cxr.core.data;

/**
 * Where a split's images live: images of {@link #pixels()} floats in [0, 1] each, read a range of
 * images at a time. In memory for images built on the fly (tests, a set being evaluated); straight
 * from the prepared {@code .npy} for the splits {@code prepare} wrote ({@link PixelFile}), so a
 * training holds a batch of pixels at a time, not the data set.
 */
public interface Pixels {
  /** Floats per image. */
  int pixels();

  /** Copies images {@code [first, first + count)} into {@code out} from {@code offset}. */
  void read(int first, int count, float[] out, int offset);

  /** Images held in an array (not copied); {@code pixels} floats each. */
  static Pixels of(float[] x, int pixels) {
    return new InMemory(x, pixels);
  }

  /** The {@code firstCount} images of {@code first} followed by those of {@code second}. */
  static Pixels concat(Pixels first, int firstCount, Pixels second) {
    return new Concat(first, firstCount, second);
  }

  /** Two sources one after the other (no copy). */
  record Concat(Pixels first, int firstCount, Pixels second) implements Pixels {
    @Override
    public int pixels() {
      return first.pixels();
    }

    @Override
    public void read(int from, int count, float[] out, int offset) {
      int head = Math.max(0, Math.min(count, firstCount - from));
      if (head > 0) {
        first.read(from, head, out, offset);
      }
      if (head < count) {
        second.read(from + head - firstCount, count - head, out, offset + head * pixels());
      }
    }
  }

  /** Images in an array. */
  record InMemory(float[] x, int pixels) implements Pixels {
    @Override
    public void read(int first, int count, float[] out, int offset) {
      System.arraycopy(x, first * pixels, out, offset, count * pixels);
    }
  }
}
