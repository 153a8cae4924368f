package io.cxr.core.train;

import io.cxr.core.data.PreparedDataset;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Scores images with a network: P(PNEUMONIA) per image, in inference mode, batched. */
public final class Predictor {
  private static final int BATCH = 256;

  private Predictor() {}

  public static float[] scores(
      MultiLayerNetwork net, String normalization, PreparedDataset.Images images) {
    return scores(net, normalization, images.x(), images.n(), images.size());
  }

  /** {@code x} holds {@code n} images of {@code size x size} in [0, 1]. */
  public static float[] scores(
      MultiLayerNetwork net, String normalization, float[] x, int n, int size) {
    int px = size * size;
    float[] out = new float[n];
    float[] img = new float[px];
    for (int from = 0; from < n; from += BATCH) {
      int b = Math.min(BATCH, n - from);
      float[] batch = new float[b * px];
      for (int i = 0; i < b; i++) {
        System.arraycopy(x, (from + i) * px, img, 0, px);
        InputNormalizer.apply(normalization, img, batch, i * px);
      }
      INDArray probs = net.output(Batches.features(batch, b, size), false);
      float[] p1 = probs.getColumn(1).toFloatVector();
      System.arraycopy(p1, 0, out, from, b);
    }
    return out;
  }
}
