package io.cxr.core.model;

import io.cxr.core.CxrException;
import io.cxr.core.config.Normalization;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Where in an image the evidence for PNEUMONIA lies: Grad-CAM (Selvaraju et al., 2017) over the
 * CNN's last convolutional block, an occlusion map (Zeiler and Fergus, 2014) for the dense
 * baseline, which has no feature maps. Maps are {@code size x size}, non-negative and scaled to a
 * maximum of 1 (all zeros when nothing in the image raises the score).
 */
public final class Saliency {
  private Saliency() {}

  /** A map and the score it explains. */
  public record Map(float[] values, int size, double score, String method) {}

  /** The method used for a model: {@code grad-cam} for a CNN, {@code occlusion} otherwise. */
  public static String method(ModelBundle model) {
    return lastActivation(model.network()) >= 0 ? "grad-cam" : "occlusion";
  }

  /** Explains one image ({@code size x size} floats in [0, 1], the model's own size). */
  public static Map explain(ModelBundle model, float[] image) {
    return explain(model, image, method(model));
  }

  /**
   * Explains one image with a named method: {@code grad-cam} (CNN only) or {@code occlusion} (any
   * model).
   */
  public static Map explain(ModelBundle model, float[] image, String method) {
    int size = model.card().imageSize();
    Normalization norm = model.card().normalization();
    float[] x = new float[size * size];
    InputNormalizer.apply(norm, image, x, 0);
    requireMethod(model, method);
    double score = Scorer.scores(model, image, 1)[0];
    // an ensemble's map: the mean of its members' maps (each scaled to [0, 1] first)
    float[] map = new float[size * size];
    for (MultiLayerNetwork net : model.networks()) {
      float[] one =
          "grad-cam".equals(method)
              ? gradCam(net, lastActivation(net), x, size)
              : occlusion(net, x, size);
      for (int i = 0; i < map.length; i++) {
        map[i] += one[i];
      }
    }
    return new Map(model.networks().size() == 1 ? map : normalise(map), size, score, method);
  }

  /** Refuses (exit 2) a method that is unknown or that the model cannot be explained with. */
  public static void requireMethod(ModelBundle model, String method) {
    if (!"grad-cam".equals(method) && !"occlusion".equals(method)) {
      throw new CxrException(
          "--explain-method: expected grad-cam or occlusion, got '" + method + "'");
    }
    if ("grad-cam".equals(method) && lastActivation(model.network()) < 0) {
      throw new CxrException(
          "--explain-method grad-cam needs a convolutional network; this "
              + model.card().modelType()
              + " model has none (use occlusion)");
    }
  }

  /**
   * Index of the last convolutional block's activation layer (its feature maps are what Grad-CAM
   * weighs), or -1 when the network has no convolution.
   */
  static int lastActivation(MultiLayerNetwork net) {
    int found = -1;
    boolean conv = false;
    for (int i = 0; i < net.getnLayers(); i++) {
      Layer l = net.getLayerWiseConfigurations().getConf(i).getLayer();
      if (l instanceof org.deeplearning4j.nn.conf.layers.ConvolutionLayer) {
        conv = true;
      }
      if (conv && l instanceof ActivationLayer) {
        found = i;
      }
    }
    return found;
  }

  /**
   * Grad-CAM: the activations A of layer {@code last}, the gradient of log P(PNEUMONIA) with
   * respect to them (through the rest of the network, rebuilt as its own network on the same
   * parameters, dropout off), channel weights = the gradient's spatial mean, map = ReLU(sum_k w_k
   * A_k), upsampled bilinearly to the image.
   */
  static float[] gradCam(MultiLayerNetwork net, int last, float[] x, int size) {
    INDArray input = Scorer.features(x, 1, size);
    List<INDArray> acts = net.feedForwardToLayer(last, input, false);
    INDArray a = acts.get(last + 1).dup(); // [1, C, h, w]; index 0 is the input
    long c = a.size(1);
    int h = (int) a.size(2);
    int w = (int) a.size(3);
    MultiLayerNetwork tail = tail(net, last, h, w, (int) c);
    INDArray label = Nd4j.createFromArray(new float[][] {{0f, 1f}});
    INDArray eps = tail.calculateGradients(a, label, null, null).getSecond(); // dLoss/dA
    float[] cam = new float[h * w];
    for (long k = 0; k < c; k++) {
      // loss = -weight * log p(PNEUMONIA): evidence for PNEUMONIA is the negative gradient
      double alpha = -eps.get(point(0), point(k)).meanNumber().doubleValue();
      INDArray ak = a.get(point(0), point(k));
      for (int i = 0; i < h; i++) {
        for (int j = 0; j < w; j++) {
          cam[i * w + j] += (float) (alpha * ak.getDouble(i, j));
        }
      }
    }
    for (int i = 0; i < cam.length; i++) {
      cam[i] = Math.max(0, cam[i]);
    }
    return normalise(resize(cam, h, w, size));
  }

  private static org.nd4j.linalg.indexing.INDArrayIndex point(long i) {
    return org.nd4j.linalg.indexing.NDArrayIndex.point(i);
  }

  /** Layers after {@code last} as a network of their own, same parameters, no dropout. */
  static MultiLayerNetwork tail(MultiLayerNetwork net, int last, int h, int w, int c) {
    NeuralNetConfiguration.ListBuilder b =
        new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).list();
    for (int i = last + 1; i < net.getnLayers(); i++) {
      Layer l = net.getLayerWiseConfigurations().getConf(i).getLayer().clone();
      l.setIDropout(null);
      if (l instanceof BaseLayer bl) {
        bl.setIDropout(null);
      }
      b.layer(l);
    }
    MultiLayerConfiguration conf = b.setInputType(InputType.convolutional(h, w, c)).build();
    MultiLayerNetwork tail = new MultiLayerNetwork(conf);
    tail.init();
    for (int i = last + 1, j = 0; i < net.getnLayers(); i++, j++) {
      INDArray p = net.getLayer(i).params();
      if (p != null && p.length() > 0) {
        tail.getLayer(j).setParams(p.dup());
      }
    }
    return tail;
  }

  /**
   * Occlusion: the drop in P(PNEUMONIA) when a square of side size/8 (stride half of it) is set to
   * the image's mean, accumulated per pixel over the squares covering it.
   */
  static float[] occlusion(MultiLayerNetwork net, float[] x, int size) {
    int patch = Math.max(2, size / 8);
    int stride = Math.max(1, patch / 2);
    double mean = 0;
    for (float v : x) {
      mean += v;
    }
    mean /= x.length;
    List<int[]> squares = new ArrayList<>();
    for (int r = 0; r < size; r += stride) {
      for (int q = 0; q < size; q += stride) {
        squares.add(new int[] {r, q});
      }
    }
    float[] batch = new float[squares.size() * size * size];
    for (int s = 0; s < squares.size(); s++) {
      System.arraycopy(x, 0, batch, s * size * size, size * size);
      int[] sq = squares.get(s);
      for (int i = sq[0]; i < Math.min(size, sq[0] + patch); i++) {
        for (int j = sq[1]; j < Math.min(size, sq[1] + patch); j++) {
          batch[s * size * size + i * size + j] = (float) mean;
        }
      }
    }
    double base = net.output(Scorer.features(x, 1, size), false).getDouble(0, 1);
    INDArray out = net.output(Scorer.features(batch, squares.size(), size), false);
    float[] sum = new float[size * size];
    float[] count = new float[size * size];
    for (int s = 0; s < squares.size(); s++) {
      double drop = base - out.getDouble(s, 1);
      int[] sq = squares.get(s);
      for (int i = sq[0]; i < Math.min(size, sq[0] + patch); i++) {
        for (int j = sq[1]; j < Math.min(size, sq[1] + patch); j++) {
          sum[i * size + j] += (float) drop;
          count[i * size + j]++;
        }
      }
    }
    for (int i = 0; i < sum.length; i++) {
      sum[i] = Math.max(0, count[i] == 0 ? 0 : sum[i] / count[i]);
    }
    return normalise(sum);
  }

  /** Bilinear resize of an {@code h x w} map to {@code size x size} (pixel centres aligned). */
  static float[] resize(float[] m, int h, int w, int size) {
    float[] out = new float[size * size];
    for (int i = 0; i < size; i++) {
      double y = Math.max(0, Math.min(h - 1, (i + 0.5) * h / size - 0.5));
      int y0 = (int) Math.floor(y);
      int y1 = Math.min(h - 1, y0 + 1);
      double fy = y - y0;
      for (int j = 0; j < size; j++) {
        double xx = Math.max(0, Math.min(w - 1, (j + 0.5) * w / size - 0.5));
        int x0 = (int) Math.floor(xx);
        int x1 = Math.min(w - 1, x0 + 1);
        double fx = xx - x0;
        double top = m[y0 * w + x0] * (1 - fx) + m[y0 * w + x1] * fx;
        double bottom = m[y1 * w + x0] * (1 - fx) + m[y1 * w + x1] * fx;
        out[i * size + j] = (float) (top * (1 - fy) + bottom * fy);
      }
    }
    return out;
  }

  static float[] normalise(float[] m) {
    float max = 0;
    for (float v : m) {
      max = Math.max(max, v);
    }
    if (max > 0) {
      for (int i = 0; i < m.length; i++) {
        m[i] /= max;
      }
    }
    return m;
  }
}
