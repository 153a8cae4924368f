package io.cxr.core.train;

import io.cxr.core.config.Normalization;
import io.cxr.core.model.InputNormalizer;
import io.cxr.core.model.Scorer;
import java.util.Random;
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
  public static DataSet training(
      float[] x,
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
      System.arraycopy(x, order[from + i] * px, img, 0, px);
      float[] src = augmenter == null ? img : augmenter.apply(img, size, rnd);
      InputNormalizer.apply(normalization, src, batch, i * px);
    }
    return new DataSet(Scorer.features(batch, n, size), oneHot(y, order, from, n));
  }

  public static INDArray oneHot(int[] labels, int[] index, int from, int n) {
    float[] y = new float[n * 2];
    for (int i = 0; i < n; i++) {
      y[i * 2 + labels[index[from + i]]] = 1f;
    }
    return Nd4j.create(y, new long[] {n, 2}, 'c');
  }
}
