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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sanity checks of the saliency maps on real Kermany images (Adebayo et al., 2018): a map must
 * depend on the learned weights. (Where the evidence sits is a finding, not a test: see the
 * README's "Explanations".)
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
                "cnn",
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
