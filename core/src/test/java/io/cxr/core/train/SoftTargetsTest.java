package io.cxr.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.config.Normalization;
import io.cxr.core.data.Pixels;
import io.cxr.core.eval.EpochRecord;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** Label smoothing, mixup and early stopping on validation log-loss (issue 13's levers). */
class SoftTargetsTest {
  private static final int N = 16;
  private static final int SIZE = 8;

  /** Image i is flat at (i + 1) / N; labels alternate. */
  private static DataSet batch() {
    float[] x = new float[N * SIZE * SIZE];
    int[] y = new int[N];
    int[] order = new int[N];
    for (int i = 0; i < N; i++) {
      java.util.Arrays.fill(x, i * SIZE * SIZE, (i + 1) * SIZE * SIZE, (i + 1f) / N);
      y[i] = i % 2;
      order[i] = i;
    }
    return Batches.training(
        Pixels.of(x, SIZE * SIZE), y, order, 0, N, SIZE, Normalization.NONE, null, new Random(0));
  }

  @Test
  void offMeansHardLabelsUnchangedImagesAndNoDraws() {
    DataSet ds = batch();
    DataSet before = ds.copy();
    Random rnd = new Random(3);
    Batches.soften(ds, 0, 0, rnd);
    assertEquals(before.getFeatures(), ds.getFeatures());
    assertEquals(before.getLabels(), ds.getLabels());
    assertEquals(new Random(3).nextLong(), rnd.nextLong(), "nothing drawn");
  }

  @Test
  void labelSmoothingMovesTargetsTowardsOneHalf() {
    DataSet ds = batch();
    Batches.soften(ds, 0, 0.2, new Random(3));
    assertArrayEquals(new float[] {0.9f, 0.1f}, ds.getLabels().getRow(0).toFloatVector(), 1e-6f);
    assertArrayEquals(new float[] {0.1f, 0.9f}, ds.getLabels().getRow(1).toFloatVector(), 1e-6f);
  }

  @Test
  void mixupBlendsImageAndLabelByTheSameWeight() {
    DataSet ds = batch();
    Batches.soften(ds, 0.4, 0, new Random(3));
    int blended = 0;
    for (int i = 0; i < N; i++) {
      float[] img = ds.getFeatures().slice(i).dup().data().asFloat();
      float[] label = ds.getLabels().getRow(i).toFloatVector();
      assertEquals(1, label[0] + label[1], 1e-5, "targets still sum to 1");
      // a flat image stays flat, at a level between the darkest and brightest image
      for (float v : img) {
        assertEquals(img[0], v, 1e-6);
      }
      assertTrue(img[0] >= 1f / N - 1e-6 && img[0] <= 1 + 1e-6, "level " + img[0]);
      double own = (i + 1.0) / N;
      if (Math.abs(img[0] - own) > 1e-4) {
        blended++;
        // the label's own-class weight is the image's own weight: level = l own + (1 - l) other,
        // and the partner's level is one of the batch's levels k / N
        double lambda = label[i % 2];
        if (lambda > 1 - 1e-6) {
          continue; // a partner of the same class: the label cannot show the weight
        }
        double partner = (img[0] - lambda * own) / (1 - lambda);
        double k = partner * N;
        assertEquals(Math.round(k), k, 1e-2, "partner level " + partner + " of image " + i);
      }
    }
    assertTrue(blended > N / 2, "most images were blended: " + blended);
    DataSet again = batch();
    Batches.soften(again, 0.4, 0, new Random(3));
    assertEquals(ds.getFeatures(), again.getFeatures(), "seeded: the same blend");
  }

  @Test
  void earlyStoppingOnLogLossPicksTheLowestLossEvenWhenAucIsFlat() {
    EarlyStopping s = new EarlyStopping(2, 0.0005, true, () -> Nd4j.scalar(1f));
    double[] loss = {0.30, 0.20, 0.25, 0.21};
    for (int e = 0; e < loss.length; e++) {
      boolean better = s.isImprovement(0.999, loss[e]);
      s.onEpoch(new EpochRecord(e + 1, 10, 0.1, loss[e], 0.999, 1, 1, better, 0.5));
    }
    assertEquals(2, s.bestEpoch());
    assertEquals(-0.20, s.bestScore(), 1e-12, "held as minus the loss");
    assertTrue(s.shouldStop(), "two epochs without a lower loss");
    EarlyStopping onAuc = new EarlyStopping(2, 0.0005, false, () -> Nd4j.scalar(1f));
    assertTrue(onAuc.isImprovement(0.999, 0.3));
    onAuc.onEpoch(new EpochRecord(1, 10, 0.1, 0.3, 0.999, 1, 1, true, 0.5));
    assertFalse(onAuc.isImprovement(0.999, 0.1), "AUC flat: a lower loss is not an improvement");
  }
}
