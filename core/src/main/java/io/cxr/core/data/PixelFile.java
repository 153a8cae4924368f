package io.cxr.core.data;

import io.cxr.core.CxrException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The images of a prepared {@code x_<split>.npy} (little-endian float32, C order), read from the
 * file a range at a time instead of held in memory: at 224 px the training split alone is 0.7 GB.
 * The file is the one whose bytes {@link PreparedDataset#load} hashed (the same open descriptor),
 * so a later {@code prepare} (which writes new files and renames them into place) does not change
 * what a running training reads. Reads are synchronised (one file position) and not interruptible
 * (a {@code FileChannel} would close itself for every reader when one reading thread is
 * interrupted).
 */
final class PixelFile implements Pixels {
  private final RandomAccessFile file;
  private final String name;
  private final long start;
  private final int pixels;
  private final int count;
  private byte[] buffer = new byte[0];

  /** {@code count} images of {@code pixels} floats starting {@code start} bytes into the file. */
  PixelFile(RandomAccessFile file, String name, long start, int pixels, int count) {
    this.file = file;
    this.name = name;
    this.start = start;
    this.pixels = pixels;
    this.count = count;
  }

  @Override
  public int pixels() {
    return pixels;
  }

  @Override
  public synchronized void read(int first, int n, float[] out, int offset) {
    if (first < 0 || n < 0 || first + n > count) {
      throw new IndexOutOfBoundsException(
          name + ": images [" + first + ", " + (first + n) + ") of " + count);
    }
    int bytes = n * pixels * Float.BYTES;
    if (buffer.length < bytes) {
      buffer = new byte[bytes];
    }
    try {
      file.seek(start + (long) first * pixels * Float.BYTES);
      file.readFully(buffer, 0, bytes);
    } catch (IOException e) {
      throw new CxrException(
          "prepared data "
              + name
              + ": cannot read images "
              + first
              + ".."
              + (first + n - 1)
              + " ("
              + e
              + "; was the file truncated after it was loaded?)");
    }
    ByteBuffer.wrap(buffer, 0, bytes)
        .order(ByteOrder.LITTLE_ENDIAN)
        .asFloatBuffer()
        .get(out, offset, n * pixels);
  }
}
