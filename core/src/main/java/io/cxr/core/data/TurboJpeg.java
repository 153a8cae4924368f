package io.cxr.core.data;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;

/**
 * The few TurboJPEG calls cxr needs, bound with JNA's direct mapping to the system's {@code
 * libturbojpeg.so.0} (Debian/Ubuntu package {@code libturbojpeg0}: libjpeg-turbo with its SIMD
 * kernels, which the OpenCV build bundled by JavaCPP lacks). TurboJPEG decodes straight to
 * grayscale and scales in the DCT domain by any factor M/8, so a 224x224 X-ray bound for 128x128 is
 * decoded at 5/8 scale (140x140) and one bound for 64x64 at 3/8 (84x84).
 *
 * <p>{@link #AVAILABLE} is false when the library cannot be loaded; {@link ImageDecoder} then uses
 * OpenCV's decoder (same results up to the scaling step, slower).
 */
final class TurboJpeg {
  static final int TJPF_GRAY = 6;
  static final int TJERR_WARNING = 0;

  static final boolean AVAILABLE;
  static final String PROBLEM;

  /** The library file loaded, resolved (its name carries the version, e.g. .so.0.2.0), or null. */
  static final String LIBRARY;

  static {
    boolean ok = false;
    String problem = null;
    String library = null;
    if (Boolean.getBoolean("cxr.decoder.opencv")
        || "opencv".equalsIgnoreCase(System.getenv("CXR_DECODER"))) {
      problem = "disabled (CXR_DECODER=opencv)";
    } else {
      try {
        NativeLibrary lib =
            NativeLibrary.getInstance(System.getProperty("cxr.turbojpeg", "libturbojpeg.so.0"));
        Native.register(TurboJpeg.class, lib);
        ok = true;
        library = resolved(lib);
      } catch (UnsatisfiedLinkError | RuntimeException e) {
        problem =
            "libturbojpeg.so.0 not loadable ("
                + e.getMessage().lines().findFirst().orElse("")
                + ")";
      }
    }
    AVAILABLE = ok;
    PROBLEM = problem;
    LIBRARY = library;
  }

  /**
   * The loaded library's real file name, found in this process's memory maps (JNA knows only the
   * name it was asked for); its version suffix tells one libjpeg-turbo build from another.
   */
  private static String resolved(NativeLibrary lib) {
    try {
      for (String line :
          java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/maps"))) {
        int at = line.indexOf('/');
        if (at >= 0 && line.contains("libturbojpeg")) {
          return java.nio.file.Path.of(line.substring(at).trim())
              .toRealPath()
              .getFileName()
              .toString();
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      // not Linux, or no maps: the name asked for is all there is
    }
    return "lib" + lib.getName() + ".so";
  }

  private TurboJpeg() {}

  static native Pointer tjInitDecompress();

  // the C function's own parameters (turbojpeg.h): the JNA mapping must match them
  @SuppressWarnings("checkstyle:ParameterNumber")
  static native int tjDecompress2(
      Pointer handle,
      Pointer jpegBuf,
      NativeLong jpegSize,
      Pointer dstBuf,
      int width,
      int pitch,
      int height,
      int pixelFormat,
      int flags);

  static native int tjGetErrorCode(Pointer handle);

  static native String tjGetErrorStr2(Pointer handle);

  static native int tjDestroy(Pointer handle);

  /** The M/8 factor (M in 1..8) that leaves the smallest image still >= size in both sides. */
  static int scaleNum(int width, int height, int size) {
    for (int m = 1; m < 8; m++) {
      if (scaled(width, m) >= size && scaled(height, m) >= size) {
        return m;
      }
    }
    return 8;
  }

  /** TJSCALED: a dimension after scaling by m/8, rounded up as libjpeg does. */
  static int scaled(int dim, int m) {
    return (dim * m + 7) / 8;
  }
}
