package io.cxr.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.Reporter;
import io.cxr.core.TestData;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.data.PreparedDataset;
import io.cxr.core.data.Split;
import io.cxr.core.stage.PrepareStage;
import io.cxr.core.stage.TrainStage;
import io.cxr.core.tracking.FileStore;
import io.cxr.core.tracking.MirroredTracker;
import io.cxr.core.train.TrainingListener;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sanity checks of the saliency maps on real Kermany images: a map must depend on the learned
 * weights (Adebayo et al., 2018), and more of its mass must lie in the central chest than on the
 * borders and corners, where text markers and the lateral body outline sit (README "Explanations";
 * the images are cropped by the default {@code data.crop} as the model saw them).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SaliencyTest {
  static final int SIZE = 64;
  Path tmp;
  ModelBundle cnn;
  PreparedDataset.Images test;

  @BeforeAll
  void trainOnKermany(@TempDir Path dir) {
    tmp = dir;
    CxrConfig cfg =
        TestData.config(
            tmp, "data.folder_image_size=" + SIZE, "data.max_per_class=250", "train.epochs=4");
    PrepareStage.run(cfg, TestData.kermany(), tmp.resolve("prepared"), Reporter.SILENT);
    MirroredTracker tracker =
        new MirroredTracker(new FileStore(tmp.resolve("mlruns")), null, Reporter.SILENT);
    cnn = TrainStage.run(cfg, new TrainingListener() {}, Reporter.SILENT, tracker).model();
    test = PreparedDataset.load(tmp.resolve("prepared")).split(Split.TEST);
  }

  float[] image(int i) {
    return test.image(i);
  }

  @Test
  void gradCamMapsAreImageSizedScaledToOneAndExplainTheCalibratedScore() {
    Saliency.Map m = Saliency.explain(cnn, image(0));
    assertEquals("grad-cam", m.method());
    assertEquals(SIZE * SIZE, m.values().length);
    float max = 0;
    for (float v : m.values()) {
      assertTrue(v >= 0 && v <= 1, "value " + v);
      max = Math.max(max, v);
    }
    assertEquals(1f, max, 1e-6f);
    float[] scored = Scorer.scores(cnn, image(0), 1);
    assertEquals(scored[0], m.score(), 1e-5);
  }

  @Test
  void theMapChangesWhenTheWeightsAreRandomised() {
    ModelBundle random =
        new ModelBundle(
            NetworkFactory.build(
                io.cxr.core.config.ModelType.CNN,
                TestData.config(tmp, "data.folder_image_size=" + SIZE, "seed=7"),
                SIZE,
                new double[] {1, 1}),
            cnn.card());
    double sum = 0;
    int n = 10;
    for (int i = 0; i < n; i++) {
      float[] trained = Saliency.explain(cnn, image(i)).values();
      float[] randomised = Saliency.explain(random, image(i)).values();
      sum += correlation(trained, randomised);
    }
    double mean = sum / n;
    System.out.printf("trained vs randomised map: mean Pearson r %.3f%n", mean);
    assertTrue(mean < 0.5, "maps barely depend on the weights: mean r " + mean);
  }

  @Test
  void moreOfTheMapsMassLiesInTheCentralChestThanOnTheBorders() {
    for (String method : List.of("grad-cam", "occlusion")) {
      double[] share = new double[2];
      int[] count = new int[2];
      int n = 40;
      int step = test.n() / n;
      for (int i = 0; i < n; i++) {
        int k = i * step;
        share[test.y()[k]] += centreShare(Saliency.explain(cnn, image(k), method).values(), SIZE);
        count[test.y()[k]]++;
      }
      double all = (share[0] + share[1]) / n;
      System.out.printf(
          "%s: share of the map's mass in the central 70%% box (49%% of the area): %.3f"
              + " (NORMAL %.3f, PNEUMONIA %.3f)%n",
          method, all, share[0] / count[0], share[1] / count[1]);
      assertTrue(all > 0.5, method + ": most of the mass on the borders: centre share " + all);
    }
  }

  /** The share of a map's mass inside the central box that leaves 15% of the side on each edge. */
  static double centreShare(float[] map, int size) {
    int lo = Math.round(size * 0.15f);
    int hi = size - lo;
    double in = 0;
    double total = 0;
    for (int r = 0; r < size; r++) {
      for (int c = 0; c < size; c++) {
        float v = map[r * size + c];
        total += v;
        if (r >= lo && r < hi && c >= lo && c < hi) {
          in += v;
        }
      }
    }
    return total == 0 ? 0 : in / total;
  }

  static double correlation(float[] a, float[] b) {
    double ma = 0;
    double mb = 0;
    for (int i = 0; i < a.length; i++) {
      ma += a[i];
      mb += b[i];
    }
    ma /= a.length;
    mb /= b.length;
    double sab = 0;
    double saa = 0;
    double sbb = 0;
    for (int i = 0; i < a.length; i++) {
      sab += (a[i] - ma) * (b[i] - mb);
      saa += (a[i] - ma) * (a[i] - ma);
      sbb += (b[i] - mb) * (b[i] - mb);
    }
    return saa == 0 || sbb == 0 ? 0 : sab / Math.sqrt(saa * sbb);
  }
}
