package io.cxr.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.config.Normalization;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;

class ScorerTest {
  @Test
  void scoringBatchesShrinkWithImageSizeSoActivationsStayBounded() {
    assertEquals(256, Scorer.batch(28));
    assertEquals(256, Scorer.batch(90));
    assertEquals(128, Scorer.batch(128));
    assertEquals(41, Scorer.batch(224));
    assertEquals(1, Scorer.batch(4096), "never fewer than one image");
  }

  @Test
  void batchedScoresAreEachImagesOwnScoreAcrossBatchBoundaries() {
    int size = 128; // 128 images per scoring batch: 130 images make a full and a partial batch
    CxrConfig cfg = ConfigLoader.load(null, List.of("model.dense.hidden=[8]"));
    MultiLayerNetwork net =
        NetworkFactory.build(io.cxr.core.config.ModelType.DENSE, cfg, size, new double[] {1, 1});
    int n = 130;
    int px = size * size;
    float[] x = new float[n * px];
    Random r = new Random(3);
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextFloat();
    }
    float[] all = Scorer.scores(net, Normalization.PER_IMAGE, x, n, size);
    for (int i : new int[] {0, 127, 128, 129}) {
      float[] one = java.util.Arrays.copyOfRange(x, i * px, (i + 1) * px);
      float alone = Scorer.scores(net, Normalization.PER_IMAGE, one, 1, size)[0];
      assertEquals(alone, all[i], 1e-6, "image " + i);
    }
  }

  @Test
  void releaseFreesAnArraysNativeMemoryOnceAndLeavesViews() {
    org.nd4j.linalg.api.ndarray.INDArray a = Scorer.features(new float[2 * 4 * 4], 2, 4);
    org.nd4j.linalg.api.ndarray.INDArray row =
        a.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0));
    Scorer.release(row);
    assertEquals(false, a.data().wasClosed(), "a view does not free its parent's memory");
    Scorer.release(a);
    assertEquals(true, a.data().wasClosed());
    Scorer.release(a); // twice: nothing
    Scorer.release(null);
  }
}
