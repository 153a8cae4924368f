package io.cxr.core.data;

import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_GRAYSCALE;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_IGNORE_ORIENTATION;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_REDUCED_GRAYSCALE_2;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_REDUCED_GRAYSCALE_4;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_REDUCED_GRAYSCALE_8;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import io.cxr.core.CxrException;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.config.DecoderChoice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * The one image path of cxr (prepare, evaluate on folders, predict, the benchmarks): encoded bytes
 * -> grayscale -> resize (see {@link #interpolation}) -> floats in [0, 1], written in place into a
 * caller's buffer (a Java array or the native memory of a batch tensor).
 *
 * <p>JPEGs are decoded by the system's SIMD libjpeg-turbo through {@link TurboJpeg}, straight to
 * grayscale and scaled in the DCT domain by the smallest factor M/8 that still leaves at least the
 * target size in both directions (224 -> 128 decodes at 5/8, 224 -> 64 at 3/8, 2000x1700 -> 128 at
 * 1/8), which skips most of the inverse DCT and of the resize work. Other formats, JPEGs TurboJPEG
 * rejects, and machines without {@code libturbojpeg.so.0} go through OpenCV (JavaCPP's build, the
 * library under DataVec's {@code NativeImageLoader}) with its 1/2, 1/4, 1/8 reductions. The area
 * resize and the float conversion are OpenCV's either way. A corrupt file is reported, never handed
 * to a fallback decoder that would guess.
 *
 * <p>An instance keeps its native buffers (encoded bytes, decoded and resized images) between
 * images, so decoding allocates nothing per image but a few small headers. Instances are not
 * thread-safe: use one per thread ({@link #forThread}).
 */
public final class ImageDecoder implements AutoCloseable {
  private static final ThreadLocal<ImageDecoder> PER_THREAD = new ThreadLocal<>();

  static {
    // cxr parallelises across images; OpenCV's own worker pool would only oversubscribe the cores
    opencv_core.setNumThreads(1);
  }

  private final int size;
  private final double crop;
  private final boolean reduce;
  private final boolean turbo;
  private Pointer tjHandle;
  private Pointer tjEncoded;
  private final Size target;
  private BytePointer encoded = new BytePointer(64 * 1024);
  private byte[] readBuffer = new byte[64 * 1024];
  private final Mat decoded = new Mat();
  private final Mat resized = new Mat();
  private final Mat floats;
  private final FloatPointer floatData;
  private int lastScale = 8;

  /** A decoder to {@code size x size}, with reduced-scale JPEG decoding where it applies. */
  public ImageDecoder(int size) {
    this(size, 0, true, true);
  }

  /**
   * A decoder to {@code size x size} that first cuts {@code crop} of the width and of the height
   * off each side (0 = the whole image).
   */
  public ImageDecoder(int size, double crop) {
    this(size, crop, true, true);
  }

  /**
   * @param reduce whether large JPEGs are decoded at reduced scale (off only for comparisons)
   * @param turbo whether JPEGs go to libjpeg-turbo when it is available (off only for comparisons)
   */
  public ImageDecoder(int size, boolean reduce, boolean turbo) {
    this(size, 0, reduce, turbo);
  }

  ImageDecoder(int size, double crop, boolean reduce, boolean turbo) {
    if (size < 1) {
      throw new IllegalArgumentException("image size " + size + " (expected >= 1)");
    }
    if (!(crop >= 0 && crop <= CxrConfig.Data.MAX_CROP)) {
      throw new IllegalArgumentException(
          "crop " + crop + " (expected 0.." + CxrConfig.Data.MAX_CROP + ")");
    }
    this.size = size;
    this.crop = crop;
    this.reduce = reduce;
    this.turbo = turbo && fastJpeg();
    this.target = new Size(size, size);
    this.floats = new Mat(size, size, opencv_core.CV_32FC1);
    this.floatData = new FloatPointer(floats.data());
  }

  /** The side the source must keep after DCT scaling so that its crop is still {@code size}. */
  private int sourceSide() {
    return (int) Math.ceil(size / (1 - 2 * crop));
  }

  /** This thread's decoder for {@code size} (kept for the thread's life, reused across calls). */
  public static ImageDecoder forThread(int size) {
    return forThread(size, 0);
  }

  /**
   * This thread's decoder for {@code size} and {@code crop} (see {@link #ImageDecoder(int,
   * double)}).
   */
  public static ImageDecoder forThread(int size, double crop) {
    ImageDecoder d = PER_THREAD.get();
    if (d == null || d.size != size || d.crop != crop) {
      if (d != null) {
        d.close();
      }
      d = new ImageDecoder(size, crop);
      PER_THREAD.set(d);
    }
    return d;
  }

  public int size() {
    return size;
  }

  /** Source images smaller than this on a side are refused (a 1x1 JPEG is not an X-ray). */
  public static final int MIN_SOURCE_SIDE = 16;

  /** The DCT-domain scale of the last image in eighths: 8 = full size, 5 = 5/8, 1 = 1/8. */
  public int lastScaleEighths() {
    return lastScale;
  }

  private static volatile boolean useTurbo = true;

  /**
   * Pins the JPEG decoder of this process ({@code data.decoder}): {@code auto} takes libjpeg-turbo
   * when it loads, {@code turbojpeg} requires it, {@code opencv} always uses OpenCV's.
   */
  public static void use(DecoderChoice choice) {
    switch (choice) {
      case OPENCV -> useTurbo = false;
      case TURBOJPEG -> {
        if (!TurboJpeg.AVAILABLE) {
          throw new CxrException(
              "config key 'data.decoder': turbojpeg was asked for but "
                  + TurboJpeg.PROBLEM
                  + " (install libturbojpeg0, or set data.decoder=auto or opencv)");
        }
        useTurbo = true;
      }
      case AUTO -> useTurbo = true;
    }
  }

  /** Whether JPEGs go through the system's SIMD libjpeg-turbo (else OpenCV's bundled one). */
  public static boolean fastJpeg() {
    return useTurbo && TurboJpeg.AVAILABLE;
  }

  /**
   * Which JPEG decoder makes this process's pixels, with its resize method: recorded in manifests
   * and model cards, and compared by evaluate and predict with the model's.
   */
  public static String backend() {
    return fastJpeg()
        ? "libjpeg-turbo (system "
            + TurboJpeg.LIBRARY
            + ", SIMD) with DCT scaling by M/8; OpenCV "
            + opencv_core.CV_VERSION
            + " area resize"
        : "OpenCV "
            + opencv_core.CV_VERSION
            + " imdecode (bundled libjpeg-turbo, no SIMD) with 1/2, 1/4, 1/8 reduction and area"
            + " resize; "
            + TurboJpeg.PROBLEM;
  }

  /** Decodes an image file; errors name the file. */
  public static float[] decode(Path file, int size) {
    float[] out = new float[size * size];
    forThread(size).decodeFile(file, out, 0);
    return out;
  }

  /** Decodes encoded image bytes (JPEG, PNG, ...) into a new array. */
  public static float[] decode(byte[] bytes, int size, String name) {
    float[] out = new float[size * size];
    forThread(size).decode(bytes, bytes.length, name, out, 0);
    return out;
  }

  /**
   * Reads and decodes a file into {@code out[offset, offset + size*size)}; returns the number of
   * encoded bytes read, which stay in {@link #encodedBytes()} until the next call.
   */
  public int decodeFile(Path file, float[] out, int offset) {
    int n = read(file);
    decode(readBuffer, n, file.toString(), out, offset);
    return n;
  }

  /** The encoded bytes of the last {@link #decodeFile} (valid up to the length it returned). */
  public byte[] encodedBytes() {
    return readBuffer;
  }

  /** Decodes {@code bytes[0, length)} into {@code out[offset, offset + size*size)}. */
  public void decode(byte[] bytes, int length, String name, float[] out, int offset) {
    Mat gray = decodeResized(bytes, length, name);
    gray.convertTo(floats, opencv_core.CV_32F, 1.0 / 255.0, 0.0);
    floatData.get(out, offset, size * size);
  }

  /**
   * Decodes {@code bytes[0, length)} straight into native float memory, e.g. the buffer of a batch
   * tensor: {@code size*size} floats starting at element {@code offset} of {@code dst}.
   */
  public void decode(byte[] bytes, int length, String name, FloatPointer dst, long offset) {
    Mat gray = decodeResized(bytes, length, name);
    // Mat's data argument is a void*: JavaCPP adds the position in bytes, not in floats
    try (org.bytedeco.javacpp.Pointer at =
            new org.bytedeco.javacpp.Pointer(dst)
                .position((dst.position() + offset) * Float.BYTES);
        Mat out = new Mat(size, size, opencv_core.CV_32FC1, at)) {
      gray.convertTo(out, opencv_core.CV_32F, 1.0 / 255.0, 0.0);
    }
  }

  /** Decodes to 8-bit grayscale {@code size x size}; the result is valid until the next call. */
  private Mat decodeResized(byte[] bytes, int length, String name) {
    if (length == 0) {
      throw new CxrException("image " + name + ": empty file (0 bytes), expected a JPEG or PNG");
    }
    refuseBeforeDecoding(bytes, length, name);
    if (encoded.capacity() < length) {
      encoded.close();
      encoded = new BytePointer(Math.max(length, encoded.capacity() * 2));
    }
    encoded.position(0).put(bytes, 0, length);
    if (!(turbo && decodeTurbo(bytes, length))) {
      decodeOpenCv(bytes, length, name);
    }
    // the source's size (the decoder may have scaled it down by lastScale/8 already)
    int scale = Math.max(1, lastScale);
    long w = (long) decoded.cols() * 8 / scale;
    long h = (long) decoded.rows() * 8 / scale;
    if (Math.min(w, h) < MIN_SOURCE_SIDE) {
      throw new CxrException(
          String.format(
              java.util.Locale.ROOT,
              "image %s: %dx%d pixels (expected at least %dx%d: too small to be an X-ray)",
              name,
              w,
              h,
              MIN_SOURCE_SIDE,
              MIN_SOURCE_SIDE));
    }
    if (crop > 0) {
      int dx = (int) Math.round(decoded.cols() * crop);
      int dy = (int) Math.round(decoded.rows() * crop);
      try (Rect box = new Rect(dx, dy, decoded.cols() - 2 * dx, decoded.rows() - 2 * dy);
          Mat roi = new Mat(decoded, box)) {
        resize(roi, resized, target, 0, 0, interpolation(roi.cols(), roi.rows(), size));
      }
      return resized;
    }
    if (decoded.cols() == size && decoded.rows() == size) {
      return decoded;
    }
    resize(decoded, resized, target, 0, 0, interpolation(decoded.cols(), decoded.rows(), size));
    return resized;
  }

  /**
   * Area interpolation when shrinking by more than 1.5x (it averages every source pixel, no
   * aliasing); bilinear otherwise: after DCT-domain scaling the last step is at most 1.5x for any
   * scale from 3/8 up, the DCT scaling has already removed the frequencies a small shrink would
   * alias, and bilinear costs a sixth of OpenCV's area resize at non-integer ratios.
   */
  static int interpolation(int width, int height, int size) {
    double ratio = Math.max(width, height) / (double) size;
    return ratio > 1.5 ? INTER_AREA : INTER_LINEAR;
  }

  /** TurboJPEG into {@code decoded}; false when the input is no JPEG TurboJPEG can read. */
  private boolean decodeTurbo(byte[] bytes, int length) {
    if (tjHandle == null) {
      tjHandle = TurboJpeg.tjInitDecompress();
      if (tjHandle == null) {
        return false;
      }
    }
    if (tjEncoded == null || Pointer.nativeValue(tjEncoded) != encoded.address()) {
      tjEncoded = new Pointer(encoded.address());
    }
    NativeLong len = new NativeLong(length);
    // the frame size from the SOF marker: spares libjpeg a second parse of the whole header
    int[] wh = jpegSize(bytes, length);
    if (wh == null) {
      return false;
    }
    int m = reduce ? TurboJpeg.scaleNum(wh[0], wh[1], sourceSide()) : 8;
    int w = TurboJpeg.scaled(wh[0], m);
    int h = TurboJpeg.scaled(wh[1], m);
    decoded.create(h, w, opencv_core.CV_8UC1);
    int rc =
        TurboJpeg.tjDecompress2(
            tjHandle,
            tjEncoded,
            len,
            new Pointer(decoded.data().address()),
            w,
            w,
            h,
            TurboJpeg.TJPF_GRAY,
            0);
    // a warning (e.g. a truncated scan libjpeg pads) still yields an image, as with OpenCV
    if (rc != 0 && TurboJpeg.tjGetErrorCode(tjHandle) != TurboJpeg.TJERR_WARNING) {
      return false;
    }
    lastScale = m;
    return true;
  }

  private void decodeOpenCv(byte[] bytes, int length, String name) {
    int r = reduce ? reduction(bytes, length, sourceSide()) : 1;
    lastScale = 8 / r;
    // imdecode leaves its destination untouched when it fails: start from an empty one
    decoded.release();
    try (Mat buf = new Mat(1, length, opencv_core.CV_8UC1, encoded);
        Mat result = imdecode(buf, flags(r), decoded)) {
      if (result == null || result.empty() || result.cols() < 1 || result.rows() < 1) {
        throw corrupt(name);
      }
    } catch (CxrException e) {
      throw e;
    } catch (RuntimeException e) {
      throw corrupt(name);
    }
  }

  /** A truncated JPEG, or an image whose header declares more than {@link #MAX_SOURCE_PIXELS}. */
  private static void refuseBeforeDecoding(byte[] bytes, int length, String name) {
    if (truncatedJpeg(bytes, length)) {
      // both decoders would pad the missing scan with grey and carry on (a warning at most)
      throw new CxrException(
          "image "
              + name
              + ": truncated JPEG (it stops before its end-of-image marker), expected a complete"
              + " file");
    }
    long[] wh = headerSize(bytes, length);
    if (wh != null && wh[0] * wh[1] > MAX_SOURCE_PIXELS) {
      // a small file can declare a huge image (a PNG of zeros): refuse before any pixel is made
      throw new CxrException(
          String.format(
              java.util.Locale.ROOT,
              "image %s: %dx%d pixels (expected at most %d megapixels), refused before decoding",
              name,
              wh[0],
              wh[1],
              MAX_SOURCE_PIXELS / 1_000_000));
    }
  }

  /**
   * The most pixels a source image may have (64 megapixels: twice the area of the largest digital
   * radiographs); its header is read first, so a bomb costs nothing.
   */
  public static final long MAX_SOURCE_PIXELS = 64_000_000L;

  /** Width and height from a JPEG's frame header or a PNG's IHDR chunk; null for other input. */
  static long[] headerSize(byte[] b, int length) {
    int[] jpeg = jpegSize(b, length);
    if (jpeg != null) {
      return new long[] {jpeg[0], jpeg[1]};
    }
    byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (length < 24 || !java.util.Arrays.equals(b, 0, 8, png, 0, 8)) {
      return null;
    }
    java.nio.ByteBuffer ihdr = java.nio.ByteBuffer.wrap(b, 16, 8); // big-endian width, height
    return new long[] {
      Integer.toUnsignedLong(ihdr.getInt()), Integer.toUnsignedLong(ihdr.getInt())
    };
  }

  /** Bytes at the end of a JPEG searched for its end-of-image marker (past any padding). */
  static final int EOI_WINDOW = 64;

  /**
   * A JPEG (starts with the SOI marker) without the EOI marker {@code FF D9} among its last {@value
   * #EOI_WINDOW} bytes before trailing zero padding: cut off mid-scan. In entropy-coded data an
   * {@code FF} is always followed by {@code 00} or a restart marker, so {@code FF D9} there is the
   * real end. Every JPEG of the Kermany data in ../shared/data passes.
   */
  static boolean truncatedJpeg(byte[] b, int length) {
    if (length < 4 || (b[0] & 0xff) != 0xFF || (b[1] & 0xff) != 0xD8) {
      return false; // not a JPEG: the decoders judge it
    }
    int end = length;
    while (end > 2 && b[end - 1] == 0) {
      end--;
    }
    for (int i = end - 2; i >= Math.max(2, end - EOI_WINDOW); i--) {
      if ((b[i] & 0xff) == 0xFF && (b[i + 1] & 0xff) == 0xD9) {
        return false;
      }
    }
    return true;
  }

  private static CxrException corrupt(String name) {
    return new CxrException(
        "image " + name + ": cannot decode (corrupt or not an image), expected a JPEG or PNG");
  }

  /**
   * OpenCV's read flags. EXIF orientation is ignored, as libjpeg-turbo ignores it: both decoders
   * give the pixels as stored, so prepared data never depends on which one ran (radiographs are
   * stored as acquired; a rotation tag comes from cameras, not from PACS exports).
   */
  private static int flags(int reduction) {
    return IMREAD_IGNORE_ORIENTATION
        | switch (reduction) {
          case 2 -> IMREAD_REDUCED_GRAYSCALE_2;
          case 4 -> IMREAD_REDUCED_GRAYSCALE_4;
          case 8 -> IMREAD_REDUCED_GRAYSCALE_8;
          default -> IMREAD_GRAYSCALE;
        };
  }

  /**
   * The largest DCT scale reduction (8, 4, 2, else 1) after which a JPEG is still at least {@code
   * size} in both directions. Non-JPEG input and unreadable headers get 1 (full decode).
   */
  public static int reduction(byte[] bytes, int length, int size) {
    int[] wh = jpegSize(bytes, length);
    if (wh == null) {
      return 1;
    }
    for (int r = 8; r > 1; r /= 2) {
      // libjpeg rounds scaled dimensions up
      if ((wh[0] + r - 1) / r >= size && (wh[1] + r - 1) / r >= size) {
        return r;
      }
    }
    return 1;
  }

  /** Width and height from a JPEG's start-of-frame marker, or null if not a readable JPEG. */
  public static int[] jpegSize(byte[] b, int length) {
    if (length < 4 || (b[0] & 0xff) != 0xFF || (b[1] & 0xff) != 0xD8) {
      return null;
    }
    int i = 2;
    while (i + 9 < length) {
      if ((b[i] & 0xff) != 0xFF) {
        return null;
      }
      int marker = b[i + 1] & 0xff;
      if (marker == 0xFF) { // fill byte
        i++;
        continue;
      }
      if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
        i += 2; // markers without a length
        continue;
      }
      int len = ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
      boolean sof =
          marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
      if (sof) {
        int h = ((b[i + 5] & 0xff) << 8) | (b[i + 6] & 0xff);
        int w = ((b[i + 7] & 0xff) << 8) | (b[i + 8] & 0xff);
        return w > 0 && h > 0 ? new int[] {w, h} : null;
      }
      if (marker == 0xDA || len < 2) { // scan data before any frame header: give up
        return null;
      }
      i += 2 + len;
    }
    return null;
  }

  private int read(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size > Integer.MAX_VALUE - 8) {
        throw new CxrException("image " + file + ": " + size + " bytes, too large for an image");
      }
      if (readBuffer.length < size + 1) {
        readBuffer = new byte[(int) Math.max(size + 1, readBuffer.length * 2L)];
      }
      ByteBuffer bb = ByteBuffer.wrap(readBuffer);
      while (bb.hasRemaining() && ch.read(bb) > 0) {
        // read until EOF (a file that grew while read is cut at the buffer's end)
      }
      return bb.position();
    } catch (IOException e) {
      throw new CxrException("image " + file + ": cannot read (" + e.getMessage() + ")");
    }
  }

  /** Resizes an 8-bit grayscale image held as floats in [0, 255] and scales to [0, 1]. */
  public static float[] resizeGray(float[] pixels, int side, int size) {
    float[] out = new float[size * size];
    if (side == size) {
      for (int i = 0; i < out.length; i++) {
        out[i] = pixels[i] / 255f;
      }
      return out;
    }
    try (Mat m = new Mat(side, side, opencv_core.CV_8UC1);
        Mat r = new Mat();
        Mat f = new Mat(size, size, opencv_core.CV_32FC1)) {
      byte[] px = new byte[pixels.length];
      for (int i = 0; i < pixels.length; i++) {
        px[i] = (byte) Math.round(Math.max(0, Math.min(255, pixels[i])));
      }
      m.data().put(px);
      resize(m, r, new Size(size, size), 0, 0, side > size ? INTER_AREA : INTER_LINEAR);
      r.convertTo(f, opencv_core.CV_32F, 1.0 / 255.0, 0.0);
      new FloatPointer(f.data()).get(out);
      return out;
    }
  }

  @Override
  public void close() {
    if (tjHandle != null) {
      TurboJpeg.tjDestroy(tjHandle);
      tjHandle = null;
    }
    encoded.close();
    decoded.close();
    resized.close();
    floats.close();
    target.close();
    if (PER_THREAD.get() == this) {
      PER_THREAD.remove();
    }
  }
}
