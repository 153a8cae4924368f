package io.cxr.core.train;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Assembles network inputs {@code [N, 1, S, S]} and one-hot labels {@code [N, 2]}. */
public final class Batches {
  private Batches() {}

  public static INDArray features(float[] data, int n, int size) {
    return Nd4j.createFromArray(data).reshape('c', n, 1, size, size);
  }

  public static INDArray oneHot(int[] labels, int[] index, int from, int n) {
    float[] y = new float[n * 2];
    for (int i = 0; i < n; i++) {
      y[i * 2 + labels[index[from + i]]] = 1f;
    }
    return Nd4j.createFromArray(y).reshape('c', n, 2);
  }
}
