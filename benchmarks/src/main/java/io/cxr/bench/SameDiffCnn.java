package io.cxr.bench;

import java.util.Locale;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.weightinit.impl.XavierInitScheme;
import org.nd4j.weightinit.impl.ZeroInitScheme;

/**
 * Issue 16's SameDiff suspect: the benchmark CNN written in SameDiff, ND4J's graph API, where a
 * whole training step is one graph executed op by op without DL4J's layer objects: three conv3x3
 * (no bias) + batch-norm (batch statistics) + ReLU + max-pool blocks of 16/32/64 filters, flatten,
 * dropout, dense 64, ReLU, dropout, dense 2, class-weighted softmax cross-entropy; Adam 1e-3, l2
 * 1e-4: the PyTorch reference net of {@code profile_torch.py} (Xavier initialisation), on the same
 * real tensors and batches as {@link Suspects}.
 *
 * <p>Usage: {@code SameDiffCnn train|infer <size> <batch> <steps>}; prints one {@code RESULT} line
 * like {@link Suspects}.
 */
public final class SameDiffCnn {
  private SameDiffCnn() {}

  static SameDiff build(int size, int batch, boolean train) {
    SameDiff sd = SameDiff.create();
    SDVariable in = sd.placeHolder("in", DataType.FLOAT, -1, 1, size, size);
    SDVariable label = sd.placeHolder("label", DataType.FLOAT, -1, 2);
    SDVariable x = in;
    int cin = 1;
    int side = size;
    for (int f : new int[] {16, 32, 64}) {
      SDVariable w =
          sd.var("w" + f, new XavierInitScheme('c', cin * 9, f * 9), DataType.FLOAT, 3, 3, cin, f);
      x =
          sd.cnn()
              .conv2d(
                  x,
                  w,
                  Conv2DConfig.builder()
                      .kH(3)
                      .kW(3)
                      .sH(1)
                      .sW(1)
                      .paddingMode(PaddingMode.SAME)
                      .dataFormat("NCHW")
                      .build());
      SDVariable gamma = sd.var("gamma" + f, Nd4j.ones(DataType.FLOAT, f));
      SDVariable beta = sd.var("beta" + f, new ZeroInitScheme('c'), DataType.FLOAT, f);
      // batch statistics written out: SameDiff M2.1's fused batchNorm op cannot be
      // differentiated (BatchNorm.doDiff builds its derivative without the axis and throws)
      SDVariable mean = x.mean(true, 0, 2, 3);
      SDVariable centred = x.sub(mean);
      SDVariable var = centred.mul(centred).mean(true, 0, 2, 3);
      x =
          centred
              .div(sd.math().sqrt(var.add(1e-5)))
              .mul(gamma.reshape(1, f, 1, 1))
              .add(beta.reshape(1, f, 1, 1));
      x = sd.nn().relu(x, 0);
      x =
          sd.cnn()
              .maxPooling2d(
                  x,
                  Pooling2DConfig.builder()
                      .kH(2)
                      .kW(2)
                      .sH(2)
                      .sW(2)
                      .paddingMode(PaddingMode.VALID)
                      .isNHWC(false)
                      .build());
      cin = f;
      side = (side + 1) / 2;
    }
    int flat = 64 * side * side;
    x = x.reshape(-1, flat);
    x = dropout(sd, x, batch, flat, train);
    SDVariable w1 = sd.var("w1", new XavierInitScheme('c', flat, 64), DataType.FLOAT, flat, 64);
    SDVariable b1 = sd.var("b1", new ZeroInitScheme('c'), DataType.FLOAT, 64);
    x = dropout(sd, sd.nn().relu(sd.nn().linear(x, w1, b1), 0), batch, 64, train);
    SDVariable w2 = sd.var("w2", new XavierInitScheme('c', 64, 2), DataType.FLOAT, 64, 2);
    SDVariable b2 = sd.var("b2", new ZeroInitScheme('c'), DataType.FLOAT, 2);
    SDVariable logits = sd.nn().linear("logits", x, w2, b2);
    SDVariable weights = sd.constant(Nd4j.createFromArray(1.4f, 0.8f).reshape(1, 2));
    SDVariable loss =
        label.mul(sd.nn().logSoftmax(logits)).mul(weights).sum(1).mean().neg().rename("loss");
    sd.setLossVariables(loss);
    sd.setTrainingConfig(
        TrainingConfig.builder()
            .updater(new Adam(1e-3))
            .l2(1e-4)
            .dataSetFeatureMapping("in")
            .dataSetLabelMapping("label")
            .build());
    return sd;
  }

  /**
   * Inverted dropout with retain probability 0.7 as a Bernoulli mask (SameDiff M2.1's dropout ops
   * have no derivative); the identity at inference.
   */
  private static SDVariable dropout(
      SameDiff sd, SDVariable x, int batch, int width, boolean train) {
    if (!train) {
      return x;
    }
    return x.mul(sd.random().bernoulli(0.7, DataType.FLOAT, batch, width)).div(0.7);
  }

  public static void main(String[] args) {
    String mode = args[0];
    int size = Integer.parseInt(args[1]);
    int batch = Integer.parseInt(args[2]);
    int steps = Integer.parseInt(args[3]);
    Nd4j.getRandom().setSeed(42);
    SameDiff sd = build(size, batch, mode.equals("train"));
    DataSet[] batches = Suspects.batches(size, batch);
    Runnable step =
        mode.equals("train")
            ? new Runnable() {
              int k;

              @Override
              public void run() {
                sd.fit(batches[k++ % batches.length]);
              }
            }
            : new Runnable() {
              int k;

              @Override
              public void run() {
                sd.output(Map.of("in", batches[k++ % batches.length].getFeatures()), "logits");
              }
            };
    for (int i = 0; i < 20; i++) {
      step.run();
    }
    long t0 = System.nanoTime();
    for (int i = 0; i < steps; i++) {
      step.run();
    }
    double ms = (System.nanoTime() - t0) / 1e6 / steps;
    System.out.printf(
        Locale.ROOT,
        "RESULT framework=samediff mode=%s size=%d batch=%d steps=%d omp_threads=%s batch_ms=%.3f"
            + " images_per_s=%.1f%n",
        mode,
        size,
        batch,
        steps,
        System.getenv().getOrDefault("OMP_NUM_THREADS", "default"),
        ms,
        batch * 1000 / ms);
  }
}
