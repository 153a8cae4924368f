package io.cxr.core.model;

import io.cxr.core.Reporter;
import io.cxr.core.config.Normalization;
import io.cxr.core.data.Pixels;
import io.cxr.core.data.PreparedDataset;
import java.util.List;
import java.util.stream.IntStream;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Scores images with a network: P(PNEUMONIA) per image, in inference mode, in batches of at most
 * {@value #BATCH} images and {@value #BATCH_PIXELS} pixels ({@link #batch}). The one scoring loop
 * of cxr: training's validation, evaluate and predict all use it.
 */
public final class Scorer {
  static final int BATCH = 256;

  /**
   * Pixels per scoring batch: a network's activations grow with batch x pixels, and 256 images of
   * 224 px made 800 MB per activation of the first block (a 5.7 GB peak while training at 224 px);
   * 2 M pixels keep it near 130 MB, with the same images/s (batched inference levels off by 64).
   */
  static final int BATCH_PIXELS = 1 << 21;

  private Scorer() {}

  /** Decodes image {@code i} into {@code out} at {@code offset} (size x size floats in [0, 1]). */
  @FunctionalInterface
  public interface ImageLoader {
    void load(int i, float[] out, int offset);
  }

  public static float[] scores(
      MultiLayerNetwork net, Normalization normalization, PreparedDataset.Images images) {
    return scores(net, normalization, images.source(), images.n(), images.size());
  }

  /**
   * A model's calibrated P(PNEUMONIA) for {@code n} images of its size in [0, 1]: its own
   * normalization, then its card's temperature.
   */
  public static float[] scores(ModelBundle model, float[] x, int n) {
    Normalization norm = model.card().normalization();
    float[] p = scores(model.networks(), norm, x, n, model.card().imageSize());
    return Temperature.applyInPlace(
        p, model.card().temperatureOrOne(), model.card().calibrationBiasOrZero());
  }

  /** An ensemble's raw score: the mean of its members' P(PNEUMONIA). */
  public static float[] scores(
      List<MultiLayerNetwork> nets, Normalization normalization, float[] x, int n, int size) {
    return scores(nets, normalization, Pixels.of(x, size * size), n, size);
  }

  /** An ensemble's raw score for images read from {@code x}. */
  public static float[] scores(
      List<MultiLayerNetwork> nets, Normalization normalization, Pixels x, int n, int size) {
    float[] mean = scores(nets.get(0), normalization, x, n, size);
    for (int k = 1; k < nets.size(); k++) {
      float[] p = scores(nets.get(k), normalization, x, n, size);
      for (int i = 0; i < n; i++) {
        mean[i] += p[i];
      }
    }
    if (nets.size() > 1) {
      for (int i = 0; i < n; i++) {
        mean[i] /= nets.size();
      }
    }
    return mean;
  }

  public static float[] scores(
      List<MultiLayerNetwork> nets, Normalization normalization, PreparedDataset.Images images) {
    return scores(nets, normalization, images.source(), images.n(), images.size());
  }

  /** {@code x} holds {@code n} images of {@code size x size} in [0, 1] (raw network scores). */
  public static float[] scores(
      MultiLayerNetwork net, Normalization normalization, float[] x, int n, int size) {
    return scores(net, normalization, Pixels.of(x, size * size), n, size);
  }

  /** Raw network scores of {@code n} images read from {@code x}, a scoring batch at a time. */
  public static float[] scores(
      MultiLayerNetwork net, Normalization normalization, Pixels x, int n, int size) {
    int px = size * size;
    float[] out = new float[n];
    int per = batch(size);
    for (int from = 0; from < n; from += per) {
      int b = Math.min(per, n - from);
      float[] batch = new float[b * px];
      x.read(from, b, batch, 0);
      for (int i = 0; i < b; i++) {
        InputNormalizer.applyInPlace(normalization, batch, i * px, px);
      }
      INDArray f = features(batch, b, size);
      INDArray probs = net.output(f, false);
      float[] p1 = probs.getColumn(1).toFloatVector();
      System.arraycopy(p1, 0, out, from, b);
      release(f);
      release(probs);
    }
    return out;
  }

  /**
   * Decodes and scores {@code n} images with a model's own size, normalization and temperature, a
   * batch at a time: each batch is decoded in place, in parallel across the cores (one reusable
   * decoder per thread), then scored; memory stays at one batch of pixels.
   */
  public static float[] decodeAndScore(
      ModelBundle model, int n, ImageLoader loader, Reporter.Progress progress) {
    int size = model.card().imageSize();
    Normalization norm = model.card().normalization();
    float[] out = new float[n];
    int per = batch(size);
    for (int from = 0; from < n; from += per) {
      int b = Math.min(per, n - from);
      float[] x = new float[b * size * size];
      int first = from;
      IntStream.range(0, b).parallel().forEach(i -> loader.load(first + i, x, i * size * size));
      float[] p = scores(model.networks(), norm, x, b, size);
      Temperature.applyInPlace(
          p, model.card().temperatureOrOne(), model.card().calibrationBiasOrZero());
      System.arraycopy(p, 0, out, from, b);
      for (int i = 0; i < b; i++) {
        progress.step();
      }
    }
    return out;
  }

  /** Images per scoring batch at {@code size} px: 256 up to 90 px, fewer above (41 at 224). */
  static int batch(int size) {
    return Math.max(1, Math.min(BATCH, BATCH_PIXELS / (size * size)));
  }

  /**
   * Frees an array's native memory now instead of when the garbage collector finds it: with a large
   * heap the collector runs rarely, and a batch's features and outputs piled up off-heap (a
   * training at 224 px peaked at 5 GB resident). Arrays that do not own their memory are left.
   */
  public static void release(INDArray a) {
    if (a == null || a.wasClosed()) {
      return;
    }
    if (a.closeable()) {
      a.close();
    } else if (!a.isView() && a.data() != null && a.data().closeable()) {
      a.data().close();
    }
  }

  /** Network input {@code [N, 1, S, S]} from N images of S x S. */
  public static INDArray features(float[] data, int n, int size) {
    // created in its shape (not a reshaped view), so that it owns its memory and can be released
    return Nd4j.create(data, new long[] {n, 1, size, size}, 'c');
  }
}
