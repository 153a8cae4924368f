package io.cxr.core.data;

import io.cxr.core.Reporter;
import io.cxr.core.io.Hashing;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Writes one split as {@code x_<split>.npy} (float32 {@code (N, 1, S, S)}) and {@code
 * y_<split>.npy} (uint8 labels) from a {@link DecodeFeed}, dropping cross-split duplicates as
 * {@link CrossSplitDuplicates} decides. The x file is written in one pass and hashed while written;
 * its header assumes no image is dropped and is rewritten in place (same length) if one is.
 */
public final class SplitWriter {
  private SplitWriter() {}

  /** A split's kept samples (in file order) and the SHA-256 of its two files. */
  public record Written(List<Sample> kept, String xSha256, String ySha256) {}

  /** Decides whether a decoded sample is written, from its pixels' hash. */
  @FunctionalInterface
  public interface Admission {
    boolean admit(Sample s, String pixelHash);
  }

  public static Written write(
      Split split,
      List<Sample> samples,
      int size,
      Path dir,
      DecodeFeed feed,
      CrossSplitDuplicates duplicates,
      SplitStats st,
      Reporter.Progress progress)
      throws IOException {
    Written w =
        write(
            split.key(),
            split,
            samples,
            size,
            dir,
            feed,
            (s, h) -> duplicates.admit(split, s, h),
            st,
            progress);
    duplicates.endSplit(split, st.droppedDuplicates());
    return w;
  }

  /**
   * Writes {@code x_<key>.npy} and {@code y_<key>.npy} from the feed's chunks of {@code split},
   * keeping the samples {@code admission} admits.
   */
  // called from two places that each hold all of these; a holder object would only rename them
  @SuppressWarnings("checkstyle:ParameterNumber")
  public static Written write(
      String key,
      Split split,
      List<Sample> samples,
      int size,
      Path dir,
      DecodeFeed feed,
      Admission admission,
      SplitStats st,
      Reporter.Progress progress)
      throws IOException {
    Path x = dir.resolve("x_" + key + ".npy");
    List<Sample> kept = new ArrayList<>();
    int px = size * size;
    byte[] header = Npy.header("<f4", 0, samples.size(), 1, size, size);
    MessageDigest fileMd = Hashing.digest("SHA-256");
    fileMd.update(header);
    String xSha256;
    try (FileChannel out =
        FileChannel.open(x, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      out.write(ByteBuffer.wrap(header));
      // the feed keeps one chunk decoding ahead of this one, across split boundaries too
      for (DecodeFeed.Chunk chunk = feed.take(split); chunk != null; chunk = feed.take(split)) {
        int runStart = 0;
        int runEnd = 0;
        for (int i = 0; i < chunk.samples.size(); i++) {
          Sample s = chunk.samples.get(i);
          if (!admission.admit(s, chunk.await(i))) {
            st.dropped();
            progress.step();
            continue;
          }
          st.add(chunk.stats[i], s.label());
          kept.add(s);
          if (runEnd != i) { // a dropped image ends the run of images to write
            writeRun(out, fileMd, chunk.le, runStart * px * 4, runEnd * px * 4);
            runStart = i;
          }
          runEnd = i + 1;
          progress.step();
        }
        writeRun(out, fileMd, chunk.le, runStart * px * 4, runEnd * px * 4);
      }
      if (kept.size() == samples.size()) {
        xSha256 = HexFormat.of().formatHex(fileMd.digest());
      } else {
        ByteBuffer h =
            ByteBuffer.wrap(Npy.header("<f4", header.length, kept.size(), 1, size, size));
        if (h.remaining() != header.length) {
          throw new IllegalStateException("npy header grew from " + header.length);
        }
        out.write(h, 0);
        xSha256 = null;
      }
    }
    Path y = dir.resolve("y_" + key + ".npy");
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(y))) {
      Npy.writeHeader(out, "|u1", kept.size());
      for (Sample s : kept) {
        out.write(s.label());
      }
    }
    return new Written(kept, xSha256 != null ? xSha256 : Hashing.sha256(x), Hashing.sha256(y));
  }

  private static void writeRun(FileChannel out, MessageDigest md, byte[] b, int from, int to)
      throws IOException {
    if (to > from) {
      md.update(b, from, to - from);
      ByteBuffer buf = ByteBuffer.wrap(b, from, to - from);
      while (buf.hasRemaining()) {
        out.write(buf);
      }
    }
  }
}
