package io.cxr.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.TestData;
import io.cxr.core.config.Normalization;
import io.cxr.core.data.ImageDecoder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The equalising input modes on real X-rays: invariant to a change of exposure (what differs
 * between scanners), spread over [0, 1].
 */
class InputNormalizerTest {
  private static final int SIZE = 64;

  private static float[] xray(String label) {
    Path p = TestData.jpegs(label, 1).get(0);
    return ImageDecoder.decode(p, SIZE);
  }

  /** The same film with another gamma and a contrast squeeze: a monotonic change of grey levels. */
  private static float[] exposed(float[] img) {
    float[] out = new float[img.length];
    for (int i = 0; i < img.length; i++) {
      out[i] = (float) (0.1 + 0.7 * Math.pow(img[i], 1.6));
    }
    return out;
  }

  @Test
  void equalizeSpreadsGreyLevelsAndUndoesAnExposureChange() {
    float[] img = xray("NORMAL");
    float[] a = new float[img.length];
    InputNormalizer.apply(Normalization.EQUALIZE, img, a, 0);
    float min = 1;
    float max = 0;
    double mean = 0;
    for (float v : a) {
      min = Math.min(min, v);
      max = Math.max(max, v);
      mean += v / a.length;
    }
    assertEquals(0f, min);
    assertEquals(1f, max);
    assertEquals(0.5, mean, 0.05); // an even spread has mean one half
    float[] b = new float[img.length];
    InputNormalizer.apply(Normalization.EQUALIZE, exposed(img), b, 0);
    // grey levels merge or split at 8 bits, so not bit for bit: within a few levels
    double diff = 0;
    for (int i = 0; i < a.length; i++) {
      diff += Math.abs(a[i] - b[i]) / a.length;
    }
    assertTrue(diff < 0.02, "mean difference " + diff);
  }

  @Test
  void equalizeOfAConstantImageIsZeroAndInPlaceMatchesACopy() {
    float[] flat = new float[16];
    java.util.Arrays.fill(flat, 0.4f);
    float[] out = new float[16];
    InputNormalizer.apply(Normalization.EQUALIZE, flat, out, 0);
    assertArrayEquals(new float[16], out);
    float[] img = xray("PNEUMONIA");
    float[] copy = new float[img.length];
    InputNormalizer.apply(Normalization.EQUALIZE, img, copy, 0);
    float[] batch = new float[img.length * 2];
    System.arraycopy(img, 0, batch, img.length, img.length);
    InputNormalizer.applyInPlace(Normalization.EQUALIZE, batch, img.length, img.length);
    assertArrayEquals(copy, java.util.Arrays.copyOfRange(batch, img.length, batch.length));
  }

  @Test
  void claheRaisesLocalContrastWithinRange() {
    float[] img = xray("NORMAL");
    float[] out = new float[img.length];
    InputNormalizer.apply(Normalization.CLAHE, img, out, 0);
    double before = 0;
    double after = 0;
    for (int i = 1; i < img.length; i++) {
      assertTrue(out[i] >= 0 && out[i] <= 1);
      before += Math.abs(img[i] - img[i - 1]);
      after += Math.abs(out[i] - out[i - 1]);
    }
    assertTrue(after > before, after + " vs " + before);
    float[] again = new float[img.length];
    InputNormalizer.apply(Normalization.CLAHE, img, again, 0);
    assertArrayEquals(out, again, "deterministic");
  }
}
