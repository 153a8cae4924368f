package io.cxr.core.model;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.bytedeco.opencv.opencv_imgproc.CLAHE;

/**
 * Contrast-limited adaptive histogram equalisation of one square [0, 1] image by OpenCV (clip limit
 * {@value #CLIP}, {@value #TILES}x{@value #TILES} tiles), on 8-bit grey levels as CLAHE is defined.
 * One CLAHE object and buffer per thread (scoring and batch building run on several).
 */
final class Clahe {
  static final double CLIP = 2.0;
  static final int TILES = 4;

  private static final ThreadLocal<State> STATE = ThreadLocal.withInitial(State::new);

  private Clahe() {}

  private static final class State {
    final CLAHE clahe = opencv_imgproc.createCLAHE(CLIP, new Size(TILES, TILES));
    int side = -1;
    Mat src;
    Mat dst;
    byte[] bytes;

    void size(int s) {
      if (s != side) {
        side = s;
        src = new Mat(s, s, CV_8UC1);
        dst = new Mat(s, s, CV_8UC1);
        bytes = new byte[s * s];
      }
    }
  }

  static void apply(float[] in, int from, int length, float[] out, int offset) {
    int side = (int) Math.round(Math.sqrt(length));
    if (side * side != length) {
      throw new IllegalArgumentException("CLAHE needs a square image, got " + length + " pixels");
    }
    State st = STATE.get();
    st.size(side);
    for (int i = 0; i < length; i++) {
      st.bytes[i] = (byte) InputNormalizer.level(in[from + i]);
    }
    ((BytePointer) st.src.data()).put(st.bytes, 0, length);
    st.clahe.apply(st.src, st.dst);
    ((BytePointer) st.dst.data()).get(st.bytes, 0, length);
    for (int i = 0; i < length; i++) {
      out[offset + i] = (st.bytes[i] & 0xff) / 255f;
    }
  }
}
