package io.cxr.bench;

import io.cxr.core.data.PreparedDataset;
import io.cxr.core.data.Split;
import io.cxr.core.model.ModelBundle;
import io.cxr.core.model.Saliency;
import io.cxr.core.model.Scorer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Where a model's explanation maps put their mass, and whether it matters to the model (issue 14;
 * the README's "Explanations" table). For {@code n} test images spread evenly through the prepared
 * test split, per method:
 *
 * <ul>
 *   <li>the share of the map's mass in the central box that leaves 15% of the side on each edge
 *       (49% of the area), in the model's input, and in the X-ray's own frame (the model saw its
 *       {@code data.crop}: the border it cut off carries no mass);
 *   <li>deletion: the mean drop of P(PNEUMONIA) on the PNEUMONIA images when the map's top 10% of
 *       pixels are greyed to the image's mean, against greying random squares of side/8 covering
 *       the same 10%.
 * </ul>
 *
 * <p>A first row, {@code uniform}, gives both shares for a map spread evenly over the model's
 * input: the reference (with a crop, most of the X-ray's border is gone before the model sees it,
 * so even a uniform map has most of its mass inside the X-ray's central box).
 *
 * <p>usage: {@code SaliencyCheck <prepared-dir> <model.zip> [n=100] [methods=grad-cam,occlusion]}
 */
public final class SaliencyCheck {
  private SaliencyCheck() {}

  public static void main(String[] args) {
    if (args.length < 2) {
      System.err.println("usage: SaliencyCheck <prepared-dir> <model.zip> [n] [methods]");
      System.exit(2);
    }
    PreparedDataset.Images test = PreparedDataset.load(Path.of(args[0])).split(Split.TEST);
    ModelBundle model = ModelBundle.load(Path.of(args[1]));
    int n = Math.min(test.n(), args.length > 2 ? Integer.parseInt(args[2]) : 100);
    List<String> methods = List.of((args.length > 3 ? args[3] : "grad-cam,occlusion").split(","));
    int size = test.size();
    double crop = model.card().cropOrZero();
    int[] chosen = IntStream.range(0, n).map(i -> (int) ((long) i * test.n() / n)).toArray();
    System.out.printf(
        Locale.ROOT,
        "model %s: %s, %d px, crop %.2f; %d test images (%d NORMAL, %d PNEUMONIA)%n",
        args[1],
        model.card().modelType(),
        size,
        crop,
        n,
        Arrays.stream(chosen).filter(k -> test.y()[k] == 0).count(),
        Arrays.stream(chosen).filter(k -> test.y()[k] == 1).count());
    System.out.println(
        "method\tclass\timages\tcentre_share_model_input\tcentre_share_xray_frame"
            + "\tdeletion_drop\trandom_squares_drop");
    // what a map spread evenly over the model's input would score: the reference for both shares
    float[] even = new float[size * size];
    Arrays.fill(even, 1f);
    System.out.printf(
        Locale.ROOT,
        "uniform\tall\t\t%.3f\t%.3f\t\t%n",
        share(even, size, box(size, 0)),
        share(even, size, box(size, crop)));
    for (String method : methods) {
      double[][] sums = new double[3][4]; // per class and all: input share, x-ray share, drops
      int[] count = new int[3];
      int[] deleted = new int[3];
      Random rnd = new Random(1);
      for (int k : chosen) {
        float[] img = test.image(k);
        float[] map = Saliency.explain(model, img, method).values();
        int y = test.y()[k];
        double input = share(map, size, box(size, 0));
        double xray = share(map, size, box(size, crop));
        for (int c : new int[] {y, 2}) {
          sums[c][0] += input;
          sums[c][1] += xray;
          count[c]++;
        }
        if (y == 1) {
          double base = Scorer.scores(model, img, 1)[0];
          double drop = base - Scorer.scores(model, greyTop(img, map), 1)[0];
          double random = base - Scorer.scores(model, greyRandom(img, size, rnd), 1)[0];
          for (int c : new int[] {1, 2}) {
            sums[c][2] += drop;
            sums[c][3] += random;
            deleted[c]++;
          }
        }
      }
      String[] names = {"NORMAL", "PNEUMONIA", "all"};
      for (int c : new int[] {2, 0, 1}) {
        System.out.printf(
            Locale.ROOT,
            "%s\t%s\t%d\t%.3f\t%.3f\t%s\t%s%n",
            method,
            names[c],
            count[c],
            sums[c][0] / count[c],
            sums[c][1] / count[c],
            deleted[c] == 0 ? "" : String.format(Locale.ROOT, "%.3f", sums[c][2] / deleted[c]),
            deleted[c] == 0 ? "" : String.format(Locale.ROOT, "%.3f", sums[c][3] / deleted[c]));
      }
    }
  }

  /**
   * The first row/column inside the central box of the X-ray, in the model's input: the box leaves
   * 15% of the X-ray's side on each edge, of which {@code crop} was cut off before resizing (the
   * part of the map outside the box in the input is outside it in the X-ray too).
   */
  static int box(int size, double crop) {
    return (int) Math.round(size * Math.max(0, 0.15 - crop) / (1 - 2 * crop));
  }

  /** The share of a map's mass inside rows and columns {@code [lo, size - lo)}. */
  static double share(float[] map, int size, int lo) {
    double in = 0;
    double total = 0;
    for (int r = 0; r < size; r++) {
      for (int c = 0; c < size; c++) {
        double v = map[r * size + c];
        total += v;
        if (r >= lo && r < size - lo && c >= lo && c < size - lo) {
          in += v;
        }
      }
    }
    return total == 0 ? 0 : in / total;
  }

  private static double mean(float[] img) {
    double m = 0;
    for (float v : img) {
      m += v;
    }
    return m / img.length;
  }

  /** The image with the map's top 10% of pixels set to the image's mean. */
  static float[] greyTop(float[] img, float[] map) {
    float m = (float) mean(img);
    Integer[] order = new Integer[img.length];
    Arrays.setAll(order, i -> i);
    Arrays.sort(order, Comparator.comparingDouble((Integer i) -> map[i]).reversed());
    float[] out = img.clone();
    for (int i = 0; i < img.length / 10; i++) {
      out[order[i]] = m;
    }
    return out;
  }

  /** The image with random squares of side size/8 greyed to its mean until 10% is covered. */
  static float[] greyRandom(float[] img, int size, Random rnd) {
    float m = (float) mean(img);
    boolean[] done = new boolean[img.length];
    float[] out = img.clone();
    int side = Math.max(1, size / 8);
    int covered = 0;
    while (covered < img.length / 10) {
      int r0 = rnd.nextInt(size - side + 1);
      int c0 = rnd.nextInt(size - side + 1);
      for (int r = r0; r < r0 + side; r++) {
        for (int c = c0; c < c0 + side; c++) {
          if (!done[r * size + c] && covered < img.length / 10) {
            done[r * size + c] = true;
            out[r * size + c] = m;
            covered++;
          }
        }
      }
    }
    return out;
  }
}
