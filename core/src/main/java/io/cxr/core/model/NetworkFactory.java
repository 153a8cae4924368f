package io.cxr.core.model;

import io.cxr.core.config.CxrConfig;
import io.cxr.core.config.ModelType;
import io.cxr.core.config.Schedule;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

/**
 * Builds the two networks from config: a CNN (conv3x3 + batch-norm + ReLU + max-pool blocks, a
 * global-average-pooling or flatten head, one dense layer, softmax over NORMAL/PNEUMONIA) and a
 * dense (MLP) baseline. Input: {@code [N, 1, S, S]}.
 */
public final class NetworkFactory {
  private NetworkFactory() {}

  /** The {@code grid} head average-pools the last feature maps down to about this side. */
  static final int GRID = 4;

  /**
   * A freshly initialised network.
   *
   * @param classWeights loss weight of NORMAL and PNEUMONIA (imbalance handling)
   */
  public static MultiLayerNetwork build(
      ModelType type, CxrConfig cfg, int imageSize, double[] classWeights) {
    MultiLayerConfiguration conf =
        switch (type) {
          case CNN -> cnn(cfg, imageSize, classWeights);
          case DENSE -> dense(cfg, imageSize, classWeights);
        };
    Backend.useHelpers();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    return net;
  }

  private static NeuralNetConfiguration.ListBuilder base(CxrConfig cfg) {
    return new NeuralNetConfiguration.Builder()
        .seed(cfg.seed())
        .dataType(DataType.FLOAT)
        .weightInit(WeightInit.RELU)
        .updater(updater(cfg.train()))
        .l2(cfg.train().l2())
        .list();
  }

  private static IUpdater updater(CxrConfig.Train t) {
    if (t.schedule() == Schedule.COSINE) {
      ISchedule lr = cosine(t.learningRate(), t.epochs());
      return switch (t.optimizer()) {
        case SGD -> new Nesterovs(lr, 0.9);
        case RMSPROP -> new RmsProp(lr);
        case ADAM -> new Adam(lr);
      };
    }
    return switch (t.optimizer()) {
      case SGD -> new Nesterovs(t.learningRate(), 0.9);
      case RMSPROP -> new RmsProp(t.learningRate());
      case ADAM -> new Adam(t.learningRate());
    };
  }

  /**
   * Cosine annealing per epoch ({@code train.schedule: cosine}): epoch e of E (from 0) learns at
   * {@code lr * (1 + cos(pi * e / E)) / 2}, from the full rate down to near zero in the last epoch.
   * The trainer counts epochs on the network ({@code incrementEpochCount}).
   */
  static ISchedule cosine(double lr, int epochs) {
    Map<Integer, Double> values = new HashMap<>();
    for (int e = 0; e < epochs; e++) {
      values.put(e, lr * (1 + Math.cos(Math.PI * e / epochs)) / 2);
    }
    return new MapSchedule(ScheduleType.EPOCH, values);
  }

  private static MultiLayerConfiguration cnn(CxrConfig cfg, int size, double[] w) {
    CxrConfig.Cnn c = cfg.model().cnn();
    NeuralNetConfiguration.ListBuilder b = base(cfg);
    for (int filters : c.filters()) {
      b.layer(
          new ConvolutionLayer.Builder(3, 3)
              .nOut(filters)
              .convolutionMode(ConvolutionMode.Same)
              .activation(Activation.IDENTITY)
              .hasBias(false)
              .build());
      b.layer(new BatchNormalization.Builder().build());
      b.layer(new ActivationLayer(Activation.RELU));
      b.layer(
          new SubsamplingLayer.Builder(PoolingType.MAX)
              .kernelSize(2, 2)
              .stride(2, 2)
              .convolutionMode(ConvolutionMode.Same)
              .build());
    }
    switch (c.head()) {
      case GAP -> b.layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build());
      case GRID -> {
        int side = featureSide(size, c.filters().size());
        int k = Math.max(1, side / GRID);
        if (k > 1) {
          b.layer(
              new SubsamplingLayer.Builder(PoolingType.AVG)
                  .kernelSize(k, k)
                  .stride(k, k)
                  .convolutionMode(ConvolutionMode.Truncate)
                  .build());
        }
      }
      case FLATTEN -> {}
    }
    b.layer(
        withDropout(
                new DenseLayer.Builder().nOut(c.denseUnits()).activation(Activation.RELU),
                c.dropout())
            .build());
    b.layer(withDropout(output(w), c.dropout()).build());
    return b.setInputType(InputType.convolutional(size, size, 1)).build();
  }

  /**
   * Inputs of the first fully connected layer: what the CNN's head hands it ({@code flatten}: every
   * position of the last maps; {@code grid}: about {@value #GRID}x{@value #GRID} of them; {@code
   * gap}: one per channel), or the pixels for the dense baseline. With an adaptive optimizer each
   * weight moves by about the learning rate per step whatever its gradient, so this fan-in times
   * the learning rate bounds how far one step can push that layer's pre-activations.
   */
  public static long denseFanIn(CxrConfig cfg, int size) {
    if (cfg.model().type() != ModelType.CNN) {
      return (long) size * size;
    }
    CxrConfig.Cnn c = cfg.model().cnn();
    int channels = c.filters().get(c.filters().size() - 1);
    int side = featureSide(size, c.filters().size());
    return switch (c.head()) {
      case GAP -> channels;
      case GRID -> {
        int k = Math.max(1, side / GRID);
        long out = side / k;
        yield out * out * channels;
      }
      case FLATTEN -> (long) side * side * channels;
    };
  }

  /**
   * Side of the last block's feature maps: each block's 2x2 pool (mode Same) halves it, rounded up.
   */
  static int featureSide(int size, int blocks) {
    int side = size;
    for (int i = 0; i < blocks; i++) {
      side = (side + 1) / 2;
    }
    return side;
  }

  private static MultiLayerConfiguration dense(CxrConfig cfg, int size, double[] w) {
    CxrConfig.Dense d = cfg.model().dense();
    NeuralNetConfiguration.ListBuilder b = base(cfg);
    List<Integer> hidden = d.hidden();
    for (int i = 0; i < hidden.size(); i++) {
      DenseLayer.Builder layer =
          new DenseLayer.Builder().nOut(hidden.get(i)).activation(Activation.RELU);
      b.layer((i == 0 ? layer : withDropout(layer, d.dropout())).build());
    }
    b.layer(withDropout(output(w), d.dropout()).build());
    return b.setInputType(InputType.convolutional(size, size, 1)).build();
  }

  private static OutputLayer.Builder output(double[] w) {
    return new OutputLayer.Builder(
            new LossMCXENT(Nd4j.createFromArray(new float[] {(float) w[0], (float) w[1]})))
        .nOut(2)
        .activation(Activation.SOFTMAX);
  }

  /** DL4J's dropOut takes the probability to keep; config holds the probability to drop. */
  private static <T extends Layer.Builder<T>> T withDropout(T builder, double drop) {
    if (drop > 0) {
      builder.dropOut(new Dropout(1 - drop));
    }
    return builder;
  }
}
