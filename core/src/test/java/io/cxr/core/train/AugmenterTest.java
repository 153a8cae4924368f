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
            "train.augment.max_aspect=0",
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
            "train.augment.max_aspect=0",
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

  private static final String[] GEOMETRY_OFF = {
    "train.augment.max_shift=0",
    "train.augment.max_rotation=0",
    "train.augment.max_zoom=0",
    "train.augment.max_aspect=0",
    "train.augment.gamma=0",
    "train.augment.hflip=false"
  };

  private static Augmenter only(String... acquisition) {
    return augmenter(
        Stream.concat(Stream.of(GEOMETRY_OFF), Stream.of(acquisition)).toArray(String[]::new));
  }

  private static double mean(float[] img) {
    double m = 0;
    for (float v : img) {
      m += v;
    }
    return m / img.length;
  }

  private static double spread(float[] img) {
    double m = mean(img);
    double s = 0;
    for (float v : img) {
      s += (v - m) * (v - m);
    }
    return Math.sqrt(s / img.length);
  }

  /** Sum of squared differences between horizontal neighbours: high for sharp, low for blurred. */
  private static double edges(float[] img) {
    double e = 0;
    for (int y = 0; y < SIZE; y++) {
      for (int x = 1; x < SIZE; x++) {
        double d = img[y * SIZE + x] - img[y * SIZE + x - 1];
        e += d * d;
      }
    }
    return e;
  }

  @Test
  void acquisitionChangesAtZeroDrawNothingSoSeededRunsAreUnchanged() throws Exception {
    float[] img = xray();
    Random used = new Random(5);
    only("train.augment.contrast=0", "train.augment.noise=0", "train.augment.sharpness=0")
        .apply(img, SIZE, used);
    assertEquals(new Random(5).nextLong(), used.nextLong(), "no draw was taken");
  }

  @Test
  void contrastScalesAboutTheMeanWithinItsRange() throws Exception {
    float[] img = xray();
    double lo = Double.MAX_VALUE;
    double hi = 0;
    Random rnd = new Random(11); // one generator: first draws of seeds 0, 1, 2... are alike
    for (int draw = 0; draw < 20; draw++) {
      float[] out = only("train.augment.contrast=0.5").apply(img, SIZE, rnd);
      double ratio = spread(out) / spread(img);
      lo = Math.min(lo, ratio);
      hi = Math.max(hi, ratio);
      for (float v : out) {
        assertTrue(v >= 0 && v <= 1, "pixel " + v);
      }
    }
    // clipping at 0 and 1 can only shrink the spread a little below the factor
    assertTrue(lo > 0.45 && lo < 0.8, "lowest contrast ratio " + lo);
    assertTrue(hi > 1.15 && hi <= 1.5 + 1e-6, "highest contrast ratio " + hi);
    float[] flat = new float[SIZE * SIZE];
    java.util.Arrays.fill(flat, 0.4f);
    Augmenter.contrast(flat, 1.5);
    assertEquals(0.4, flat[0], 1e-6, "a flat image has nothing to stretch");
  }

  @Test
  void sharpnessBlursBelowZeroAndSharpensAbove() throws Exception {
    float[] img = xray();
    float[] blurred = img.clone();
    Augmenter.sharpen(blurred, SIZE, -1);
    float[] sharper = img.clone();
    Augmenter.sharpen(sharper, SIZE, 1);
    float[] same = img.clone();
    Augmenter.sharpen(same, SIZE, 0);
    assertArrayEquals(img, same, 1e-6f);
    assertTrue(edges(blurred) < 0.7 * edges(img), "blur: " + edges(blurred) + " vs " + edges(img));
    assertTrue(
        edges(sharper) > 1.5 * edges(img), "sharpen: " + edges(sharper) + " vs " + edges(img));
    // the 3x3 mean of a pixel in a flat region is the pixel: blurring keeps the mean level
    assertEquals(mean(img), mean(blurred), 0.01);
  }

  @Test
  void noiseIsZeroMeanAndBoundedByItsRange() throws Exception {
    float[] img = xray();
    double most = 0;
    Random rnd = new Random(11);
    for (int draw = 0; draw < 10; draw++) {
      float[] out = only("train.augment.noise=0.05").apply(img, SIZE, rnd);
      double[] d = new double[img.length];
      for (int i = 0; i < img.length; i++) {
        d[i] = out[i] - img[i];
        assertTrue(out[i] >= 0 && out[i] <= 1, "pixel " + out[i]);
      }
      double m = java.util.Arrays.stream(d).average().orElseThrow();
      double sd =
          Math.sqrt(java.util.Arrays.stream(d).map(v -> (v - m) * (v - m)).sum() / d.length);
      assertEquals(0, m, 0.01, "mean change");
      assertTrue(sd <= 0.05 * 1.05, "noise sd " + sd + " above the range");
      most = Math.max(most, sd);
    }
    assertTrue(most > 0.02, "some draw adds visible noise: " + most);
  }

  @Test
  void balancedClassWeightsGiveEachClassHalfTheLoss() {
    int[] labels = {1, 1, 1, 0}; // 3 pneumonia, 1 normal
    assertArrayEquals(
        new double[] {2.0, 4.0 / 6},
        Trainer.classWeights(io.cxr.core.config.ClassWeights.BALANCED, labels),
        1e-12);
    // weight x count is the same for both classes: n / 2
    assertArrayEquals(
        new double[] {1, 1}, Trainer.classWeights(io.cxr.core.config.ClassWeights.NONE, labels));
    assertArrayEquals(
        new double[] {0.5, 1.0}, // no pneumonia: its count is taken as 1, not divided by 0
        Trainer.classWeights(io.cxr.core.config.ClassWeights.BALANCED, new int[] {0, 0}),
        1e-12);
  }

  @Test
  void downscaleBlursARealXrayAndResampleKeepsAConstantImage() throws Exception {
    float[] img = xray();
    // shrunk to half and enlarged back: fine detail (pixel-to-pixel differences) is lost
    float[] back = Augmenter.resample(Augmenter.resample(img, SIZE, SIZE / 2), SIZE / 2, SIZE);
    assertTrue(roughness(back) < 0.8 * roughness(img), roughness(back) + " vs " + roughness(img));
    // and the picture is still the picture: mean brightness within 1%
    assertEquals(mean(img), mean(back), 0.01);
    float[] flat = new float[SIZE * SIZE];
    java.util.Arrays.fill(flat, 0.25f);
    for (float v : Augmenter.resample(flat, SIZE, 40)) {
      assertEquals(0.25f, v, 1e-6);
    }
    Augmenter geometryOff = only("train.augment.downscale=0.5");
    float[] out = geometryOff.apply(img, SIZE, new Random(3));
    assertTrue(roughness(out) < roughness(img), "a downscale was drawn and applied");
  }

  /** Mean absolute difference between horizontal neighbours. */
  private static double roughness(float[] img) {
    double sum = 0;
    for (int y = 0; y < SIZE; y++) {
      for (int x = 1; x < SIZE; x++) {
        sum += Math.abs(img[y * SIZE + x] - img[y * SIZE + x - 1]);
      }
    }
    return sum / (SIZE * (SIZE - 1));
  }

  @Test
  void aspectScalesWidthAndHeightApartWithoutMixingThem() {
    // rows of constant value, brighter downwards: a pure change of aspect keeps every row
    // constant (no rotation mixes rows into columns) but moves where the brightness changes
    float[] rows = new float[SIZE * SIZE];
    for (int y = 0; y < SIZE; y++) {
      java.util.Arrays.fill(rows, y * SIZE, (y + 1) * SIZE, y / (float) (SIZE - 1));
    }
    Augmenter aspect =
        augmenter(
            "train.augment.max_shift=0",
            "train.augment.max_rotation=0",
            "train.augment.max_zoom=0",
            "train.augment.gamma=0",
            "train.augment.max_aspect=0.5");
    boolean changed = false;
    Random rnd = new Random(11);
    for (int k = 0; k < 5; k++) {
      float[] out = aspect.apply(rows, SIZE, rnd);
      for (int y = 0; y < SIZE; y++) {
        for (int x = 1; x < SIZE; x++) {
          assertEquals(out[y * SIZE], out[y * SIZE + x], 1e-6, "row " + y + " stays constant");
        }
      }
      changed |= Math.abs(out[SIZE * 8] - rows[SIZE * 8]) > 1e-3;
    }
    assertTrue(changed, "the vertical profile was stretched or squeezed");
  }
}
