package io.cxr.core.train;

import io.cxr.core.config.Normalization;
import io.cxr.core.data.Pixels;
import io.cxr.core.model.InputNormalizer;
import io.cxr.core.model.Scorer;
import java.util.Random;
import org.apache.commons.math3.distribution.BetaDistribution;
import org.apache.commons.math3.random.Well19937c;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** Assembles network inputs {@code [N, 1, S, S]} and one-hot labels {@code [N, 2]}. */
public final class Batches {
  private Batches() {}

  /**
   * One training batch: images {@code order[from, from + n)} of {@code x} ({@code size x size}
   * each), augmented when an augmenter is given, normalised per {@code normalization}, with one-hot
   * labels. Consumes {@code rnd} exactly as the trainer always has (seeded runs stay identical).
   */
  // the hot path of every epoch (JMH-measured): a parameter object per batch was not wanted here
  @SuppressWarnings("checkstyle:ParameterNumber")
  public static DataSet training(
      Pixels x,
      int[] y,
      int[] order,
      int from,
      int n,
      int size,
      Normalization normalization,
      Augmenter augmenter,
      Random rnd) {
    int px = size * size;
    float[] batch = new float[n * px];
    float[] img = new float[px];
    for (int i = 0; i < n; i++) {
      x.read(order[from + i], 1, img, 0);
      float[] src = augmenter == null ? img : augmenter.apply(img, size, rnd);
      InputNormalizer.apply(normalization, src, batch, i * px);
    }
    return new DataSet(Scorer.features(batch, n, size), oneHot(y, order, from, n));
  }

  /**
   * Soft targets for one training batch, in place; nothing changes and nothing is drawn from {@code
   * rnd} when both are 0. mixup: each image and its label are blended with those of another image
   * of the batch (a seeded permutation) by a weight drawn from Beta(mixup, mixup) per image (Zhang
   * et al., 2018). label smoothing: the targets move towards 1/2 by {@code labelSmoothing / 2}.
   */
  public static void soften(DataSet ds, double mixup, double labelSmoothing, Random rnd) {
    INDArray features = ds.getFeatures();
    INDArray labels = ds.getLabels();
    if (mixup > 0) {
      int n = (int) features.size(0);
      int[] partner = new int[n];
      for (int i = 0; i < n; i++) {
        partner[i] = i;
      }
      Trainer.shuffle(partner, rnd);
      BetaDistribution beta =
          new BetaDistribution(
              new Well19937c(rnd.nextLong()),
              mixup,
              mixup,
              BetaDistribution.DEFAULT_INVERSE_ABSOLUTE_ACCURACY);
      INDArray x = features.dup();
      INDArray y = labels.dup();
      for (int i = 0; i < n; i++) {
        double lambda = beta.sample();
        features.slice(i).assign(x.slice(i).mul(lambda).addi(x.slice(partner[i]).mul(1 - lambda)));
        labels.getRow(i).assign(y.getRow(i).mul(lambda).addi(y.getRow(partner[i]).mul(1 - lambda)));
      }
      Scorer.release(x);
      Scorer.release(y);
    }
    if (labelSmoothing > 0) {
      labels.muli(1 - labelSmoothing).addi(labelSmoothing / 2);
    }
  }

  public static INDArray oneHot(int[] labels, int[] index, int from, int n) {
    float[] y = new float[n * 2];
    for (int i = 0; i < n; i++) {
      y[i * 2 + labels[index[from + i]]] = 1f;
    }
    return Nd4j.create(y, new long[] {n, 2}, 'c');
  }
}
