package io.cxr.core.data;

import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_GRAYSCALE;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import io.cxr.core.CxrException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * The one image path of cxr (prepare, evaluate on folders, predict): encoded bytes -> grayscale ->
 * resize (area interpolation when shrinking) -> floats in [0, 1]. It uses OpenCV through JavaCPP,
 * the native library under DataVec's {@code NativeImageLoader}, directly so that a corrupt file is
 * reported instead of handed to a fallback decoder.
 */
public final class ImageDecoder {
  private ImageDecoder() {}

  /** Decodes an image file; errors name the file. */
  public static float[] decode(Path file, int size) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new CxrException("image " + file + ": cannot read (" + e.getMessage() + ")");
    }
    return decode(bytes, size, file.toString());
  }

  /** Decodes encoded image bytes (JPEG, PNG, ...). */
  public static float[] decode(byte[] bytes, int size, String name) {
    if (bytes.length == 0) {
      throw new CxrException("image " + name + ": empty file (0 bytes), expected a JPEG or PNG");
    }
    try (Mat buf = new Mat(1, bytes.length, opencv_core.CV_8UC1);
        Mat gray = decodeGray(buf, bytes)) {
      if (gray == null || gray.empty() || gray.cols() < 1 || gray.rows() < 1) {
        throw new CxrException(
            "image " + name + ": cannot decode (corrupt or not an image), expected a JPEG or PNG");
      }
      return toFloats(gray, size);
    }
  }

  private static Mat decodeGray(Mat buf, byte[] bytes) {
    buf.data().put(bytes);
    return imdecode(buf, IMREAD_GRAYSCALE);
  }

  /** Resizes an 8-bit grayscale image held as floats in [0, 255] and scales to [0, 1]. */
  public static float[] resizeGray(float[] pixels, int side, int size) {
    if (side == size) {
      float[] out = new float[pixels.length];
      for (int i = 0; i < out.length; i++) {
        out[i] = pixels[i] / 255f;
      }
      return out;
    }
    try (Mat m = new Mat(side, side, opencv_core.CV_8UC1)) {
      byte[] px = new byte[pixels.length];
      for (int i = 0; i < pixels.length; i++) {
        px[i] = (byte) Math.round(Math.max(0, Math.min(255, pixels[i])));
      }
      m.data().put(px);
      return toFloats(m, size);
    }
  }

  private static float[] toFloats(Mat gray, int size) {
    Mat src = gray;
    Mat resized = null;
    try {
      if (gray.cols() != size || gray.rows() != size) {
        resized = new Mat();
        boolean shrink = gray.cols() > size || gray.rows() > size;
        resize(gray, resized, new Size(size, size), 0, 0, shrink ? INTER_AREA : INTER_LINEAR);
        src = resized;
      }
      if (!src.isContinuous()) {
        src = src.clone();
      }
      byte[] px = new byte[size * size];
      src.data().get(px);
      float[] out = new float[px.length];
      for (int i = 0; i < px.length; i++) {
        out[i] = (px[i] & 0xff) / 255f;
      }
      return out;
    } finally {
      if (resized != null) {
        resized.close();
      }
    }
  }
}
