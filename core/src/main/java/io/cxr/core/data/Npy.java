package io.cxr.core.data;

import io.cxr.core.CxrException;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The NumPy {@code .npy} format (version 1.0/2.0/3.0), for the arrays cxr reads (MedMNIST) and
 * writes (prepared tensors). Only C-order arrays of the dtypes cxr uses are supported.
 */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']+)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  private Npy() {}

  /** An array read from a .npy: its shape and its values widened to float. */
  public record Array(String dtype, int[] shape, float[] data) {
    public long size() {
      long n = 1;
      for (int d : shape) {
        n *= d;
      }
      return n;
    }

    @Override
    public String toString() {
      return dtype + Arrays.toString(shape);
    }
  }

  /** The header of a .npy: dtype, shape, and its length in bytes. */
  public record Header(String dtype, int[] shape, int length) {}

  /** The longest header cxr accepts (NumPy writes at most a few hundred bytes). */
  static final int MAX_HEADER = 1 << 16;

  /**
   * Reads a whole array; {@code name} is used in error messages. Whatever the bytes, the result is
   * an array or a {@link CxrException}: memory is allocated only for data that is really there (a
   * header may declare any shape) and never beyond what the heap can hold.
   */
  public static Array read(InputStream raw, String name) throws IOException {
    return read(raw, name, -1);
  }

  /** Bytes decoded at a time when the stream's length is known. */
  private static final int CHUNK = 1 << 20;

  /**
   * {@link #read(InputStream, String)} of a stream whose length is known ({@code size} bytes, the
   * header included; -1 when unknown). With the length known, a truncated array is refused before
   * any allocation and the values are decoded a chunk at a time, so reading an array costs its
   * floats and 1 MiB, not its bytes as well (for a 224 px training split, 0.7 GB less at its peak).
   */
  public static Array read(InputStream raw, String name, long size) throws IOException {
    DataInputStream in = new DataInputStream(raw);
    Header h = readHeader(in, name);
    long n = elements(h.shape(), name);
    int width = width(h.dtype(), name);
    long bytes = n * width;
    boolean streamed = size >= 0;
    long need = n * Float.BYTES + (streamed ? Math.min(bytes, CHUNK) : bytes);
    if (bytes > Integer.MAX_VALUE - 16 || need > headroom()) {
      throw new CxrException(
          name
              + ": array "
              + Arrays.toString(h.shape())
              + " of "
              + h.dtype()
              + " too large ("
              + need / (1 << 20)
              + " MiB; the heap has "
              + headroom() / (1 << 20)
              + " MiB free: raise -Xmx or use smaller images)");
    }
    ByteOrder order = h.dtype().startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    String t = h.dtype().substring(1);
    if (!streamed) {
      // readNBytes grows its buffer with the data read: a short file that declares a huge shape
      // costs what it holds, not what it claims
      byte[] all = in.readNBytes((int) bytes);
      if (all.length < bytes) {
        throw truncated(name, h, bytes, all.length);
      }
      float[] out = new float[(int) n];
      decode(t, ByteBuffer.wrap(all).order(order), all, out, 0, (int) n);
      return new Array(h.dtype(), h.shape(), out);
    }
    long present = Math.max(0, size - h.length());
    if (present < bytes) {
      throw truncated(name, h, bytes, present);
    }
    float[] out = new float[(int) n];
    byte[] chunk = new byte[(int) Math.min(bytes, CHUNK)];
    ByteBuffer buf = ByteBuffer.wrap(chunk).order(order);
    int at = 0;
    for (long left = bytes; left > 0; ) {
      int len = (int) Math.min(chunk.length, left);
      int got = in.readNBytes(chunk, 0, len);
      if (got < len) {
        throw truncated(name, h, bytes, bytes - left + got);
      }
      decode(t, buf, chunk, out, at, len / width);
      at += len / width;
      left -= len;
    }
    return new Array(h.dtype(), h.shape(), out);
  }

  /** The error for an array whose data is shorter than its header says. */
  static CxrException truncated(String name, Header h, long bytes, long found) {
    return new CxrException(
        name
            + ": truncated (header says shape "
            + Arrays.toString(h.shape())
            + " of "
            + h.dtype()
            + ", "
            + bytes
            + " bytes; found "
            + found
            + ")");
  }

  /** Decodes the first {@code count} values of {@code bytes} (viewed as {@code buf}) into out. */
  private static void decode(
      String t, ByteBuffer buf, byte[] bytes, float[] out, int at, int count) {
    for (int i = 0; i < count; i++) {
      out[at + i] =
          switch (t) {
            case "u1", "b1" -> bytes[i] & 0xff;
            case "i1" -> bytes[i];
            case "u2" -> buf.getShort(i * 2) & 0xffff;
            case "i2" -> buf.getShort(i * 2);
            case "i4" -> buf.getInt(i * 4);
            case "u4" -> buf.getInt(i * 4) & 0xffffffffL;
            case "i8", "u8" -> buf.getLong(i * 8);
            case "f4" -> buf.getFloat(i * 4);
            case "f8" -> (float) buf.getDouble(i * 8);
            default -> throw new IllegalStateException(t);
          };
    }
  }

  /** Bytes the heap can still give (max minus what is in use). */
  private static long headroom() {
    Runtime rt = Runtime.getRuntime();
    return rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
  }

  /** The number of elements of a shape: no negative dimension, no overflow. */
  static long elements(int[] shape, String name) {
    long n = 1;
    for (int d : shape) {
      if (d < 0) {
        throw new CxrException(
            name + ": negative dimension in shape " + Arrays.toString(shape) + " of a .npy header");
      }
      n *= d;
      if (n > Integer.MAX_VALUE) {
        throw new CxrException(
            name + ": shape " + Arrays.toString(shape) + " has more than 2^31 elements");
      }
    }
    return n;
  }

  /** Reads and checks the magic string and header dictionary. */
  public static Header readHeader(DataInputStream in, String name) throws IOException {
    try {
      return parseHeader(in, name);
    } catch (EOFException e) {
      throw new CxrException(name + ": not a .npy array (truncated header)");
    }
  }

  private static Header parseHeader(DataInputStream in, String name) throws IOException {
    byte[] magic = new byte[6];
    in.readFully(magic);
    if (!Arrays.equals(magic, MAGIC)) {
      throw new CxrException(name + ": not a .npy array (bad magic)");
    }
    int major = in.readUnsignedByte();
    in.readUnsignedByte();
    long len;
    if (major == 1) {
      len = Short.toUnsignedInt(Short.reverseBytes(in.readShort()));
    } else if (major == 2 || major == 3) {
      len = Integer.toUnsignedLong(Integer.reverseBytes(in.readInt()));
    } else {
      throw new CxrException(
          name + ": unsupported .npy version " + major + " (expected 1, 2 or 3)");
    }
    if (len > MAX_HEADER) {
      throw new CxrException(
          name + ": .npy header of " + len + " bytes (expected at most " + MAX_HEADER + ")");
    }
    byte[] hb = new byte[(int) len];
    in.readFully(hb);
    String header =
        new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    Matcher d = DESCR.matcher(header);
    Matcher f = FORTRAN.matcher(header);
    Matcher s = SHAPE.matcher(header);
    if (!d.find() || !f.find() || !s.find()) {
      throw new CxrException(name + ": malformed .npy header " + oneLine(header));
    }
    if ("True".equals(f.group(1))) {
      throw new CxrException(name + ": Fortran-order arrays are not supported (expected C order)");
    }
    String dtype = d.group(1);
    if (dtype.length() == 2) {
      dtype = "|" + dtype;
    }
    if (dtype.length() != 3 || "<>|=".indexOf(dtype.charAt(0)) < 0) {
      throw new CxrException(
          name
              + ": unsupported dtype '"
              + oneLine(dtype)
              + "' (expected an integer, bool or float array)");
    }
    width(dtype, name);
    int[] shape = shape(s.group(1), name, header);
    elements(shape, name);
    return new Header(dtype, shape, (int) ((major == 1 ? 10 : 12) + len));
  }

  /** The dimensions of a header's shape tuple, e.g. {@code 3, 1, 28, 28,}. */
  private static int[] shape(String tuple, String name, String header) {
    return Arrays.stream(tuple.split(","))
        .map(String::trim)
        .filter(x -> !x.isEmpty())
        .mapToInt(
            x -> {
              try {
                return Integer.parseInt(x.replace("L", ""));
              } catch (NumberFormatException e) {
                throw new CxrException(name + ": bad shape in .npy header " + oneLine(header));
              }
            })
        .toArray();
  }

  /** Header text for a one-line message: control characters shown as '?', at most 200 chars. */
  private static String oneLine(String text) {
    String t = text.trim().replaceAll("\\p{Cntrl}", "?");
    return t.length() > 200 ? t.substring(0, 200) + "..." : t;
  }

  private static int width(String dtype, String name) {
    String t = dtype.substring(1);
    return switch (t) {
      case "u1", "i1", "b1" -> 1;
      case "u2", "i2" -> 2;
      case "i4", "u4", "f4" -> 4;
      case "i8", "u8", "f8" -> 8;
      default ->
          throw new CxrException(
              name
                  + ": unsupported dtype '"
                  + dtype
                  + "' (expected an integer, bool or float array)");
    };
  }

  /** Writes a v1.0 header for a C-order array; {@code dtype} like {@code <f4} or {@code |u1}. */
  public static void writeHeader(OutputStream out, String dtype, int... shape) throws IOException {
    out.write(header(dtype, 0, shape));
  }

  /**
   * A v1.0 header padded with spaces to a multiple of 64 bytes and to at least {@code minLength}
   * bytes: a header written before the final count is known can be rewritten in place.
   */
  public static byte[] header(String dtype, int minLength, int... shape) {
    StringBuilder dims = new StringBuilder();
    for (int d : shape) {
      dims.append(d).append(", ");
    }
    String sh = shape.length == 1 ? shape[0] + "," : dims.substring(0, dims.length() - 2);
    String dict = "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': (" + sh + "), }";
    int total = 10 + dict.length() + 1;
    int pad = (64 - total % 64) % 64;
    pad += Math.max(0, minLength - (total + pad));
    StringBuilder h = new StringBuilder(dict);
    h.append(" ".repeat(pad)).append('\n');
    byte[] text = h.toString().getBytes(StandardCharsets.ISO_8859_1);
    byte[] out = new byte[10 + text.length];
    System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
    out[6] = 1;
    out[7] = 0;
    out[8] = (byte) (text.length & 0xff);
    out[9] = (byte) ((text.length >>> 8) & 0xff);
    System.arraycopy(text, 0, out, 10, text.length);
    return out;
  }

  /** Bytes of the header {@link #writeHeader} would write. */
  public static int headerLength(String dtype, int... shape) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try {
      writeHeader(b, dtype, shape);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return b.size();
  }
}
