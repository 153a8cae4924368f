package io.cxr.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.TestData;
import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.data.ImageDecoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Augmentation and class weights on a real X-ray (they had no test of their own). */
class AugmenterTest {
  private static final int SIZE = 64;

  private static float[] xray() throws Exception {
    try (Stream<Path> s = Files.list(TestData.kermany().resolve("train/NORMAL"))) {
      return ImageDecoder.decode(s.sorted().findFirst().orElseThrow(), SIZE);
    }
  }

  private static Augmenter augmenter(String... overrides) {
    CxrConfig c = ConfigLoader.load(null, List.of(overrides));
    return new Augmenter(c.train().augment());
  }

  @Test
  void withEveryRangeAtZeroTheImageIsUnchanged() throws Exception {
    float[] img = xray();
    Augmenter none =
        augmenter(
            "train.augment.max_shift=0",
            "train.augment.max_rotation=0",
            "train.augment.max_zoom=0",
            "train.augment.gamma=0",
            "train.augment.hflip=false");
    assertArrayEquals(img, none.apply(img, SIZE, new Random(1)), 1e-6f);
  }

  @Test
  void theDefaultsChangeTheImageWithinItsRangeAndTheSameSeedRepeatsIt() throws Exception {
    float[] img = xray();
    Augmenter a = augmenter();
    float[] one = a.apply(img, SIZE, new Random(7));
    float[] again = a.apply(img, SIZE, new Random(7));
    float[] other = a.apply(img, SIZE, new Random(8));
    assertArrayEquals(one, again, "the same draws, the same image");
    assertFalse(java.util.Arrays.equals(one, other), "other draws, another image");
    double diff = 0;
    for (int i = 0; i < img.length; i++) {
      assertTrue(one[i] >= 0 && one[i] <= 1, "pixel " + one[i]);
      diff += Math.abs(one[i] - img[i]);
    }
    assertTrue(diff / img.length > 0.005, "changed: mean |diff| " + diff / img.length);
    assertEquals(img.length, one.length);
  }

  @Test
  void aShiftMovesTheContent() {
    // a single bright column at x = 20; a pure shift moves it, nothing else changes
    float[] img = new float[SIZE * SIZE];
    for (int y = 0; y < SIZE; y++) {
      img[y * SIZE + 20] = 1f;
    }
    Augmenter shift =
        augmenter(
            "train.augment.max_shift=0.2",
            "train.augment.max_rotation=0",
            "train.augment.max_zoom=0",
            "train.augment.gamma=0",
            "train.augment.hflip=false");
    float[] out = shift.apply(img, SIZE, new Random(3));
    int brightest = 0;
    for (int x = 0; x < SIZE; x++) {
      if (out[32 * SIZE + x] > out[32 * SIZE + brightest]) {
        brightest = x;
      }
    }
    assertTrue(brightest != 20, "the column moved from x = 20 (now " + brightest + ")");
  }

  @Test
  void balancedClassWeightsGiveEachClassHalfTheLoss() {
    int[] labels = {1, 1, 1, 0}; // 3 pneumonia, 1 normal
    assertArrayEquals(new double[] {2.0, 4.0 / 6}, Trainer.classWeights("balanced", labels), 1e-12);
    // weight x count is the same for both classes: n / 2
    assertArrayEquals(new double[] {1, 1}, Trainer.classWeights("none", labels));
    assertArrayEquals(
        new double[] {0.5, 1.0}, // no pneumonia: its count is taken as 1, not divided by 0
        Trainer.classWeights("balanced", new int[] {0, 0}),
        1e-12);
  }
}
