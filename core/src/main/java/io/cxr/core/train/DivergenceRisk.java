package io.cxr.core.train;

import io.cxr.core.config.CxrConfig;
import io.cxr.core.config.ModelType;
import io.cxr.core.model.NetworkFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Combinations of learning rate, batch size, image size and head that are known to diverge or
 * collapse, named before the long run starts (a warning each; training still runs).
 *
 * <p>Measured on the Kermany train folder with the default CNN and Adam at 1e-3: the {@code
 * flatten} head trains at 64 px (dense fan-in 4,096, rate x fan-in 4.1, val AUC 0.995) and
 * collapses to one constant output in the first epoch at 128 px (fan-in 16,384, rate x fan-in
 * 16.4). An adaptive optimizer moves every weight by about the learning rate per step, so a step
 * shifts the dense layer's pre-activations by up to rate x fan-in times the input scale; past
 * {@value #MAX_RATE_FAN_IN} the ReLUs die together (at 128 px: 2% of the dense units dead at
 * initialisation, 92% after 5 Adam steps with the flatten head; 16% and 28% with the grid head).
 */
public final class DivergenceRisk {
  private DivergenceRisk() {}

  /** Largest learning rate x dense fan-in for Adam or RMSprop that is not flagged. */
  static final double MAX_RATE_FAN_IN = 8.0;

  /** Batch norm's statistics over fewer images than this are too noisy to train on. */
  static final int MIN_BATCH = 8;

  /**
   * SGD (Nesterov momentum 0.9) rates above this are unstable: measured at 28 px, 0.05 reaches val
   * AUC 0.98 in 3 epochs, 0.2 only 0.79, 0.5 and 1.0 collapse within 2 epochs.
   */
  static final double MAX_SGD_RATE = 0.1;

  /** The warnings for this config at this image size (empty: nothing known to go wrong). */
  public static List<String> warnings(CxrConfig cfg, int imageSize) {
    CxrConfig.Train t = cfg.train();
    List<String> out = new ArrayList<>();
    long fanIn = NetworkFactory.denseFanIn(cfg, imageSize);
    double product = t.learningRate() * fanIn;
    boolean adaptive = t.optimizer() != io.cxr.core.config.OptimizerChoice.SGD;
    if (adaptive && product > MAX_RATE_FAN_IN) {
      out.add(
          String.format(
              Locale.ROOT,
              "train.learning_rate=%s with %s at %d px feeds %,d inputs into the first dense layer"
                  + " (rate x fan-in %.1f > %.0f; measured: the CNN's dense layer collapsed to one"
                  + " constant output at 16.4 and trained at 4.1): use %s or a learning rate of at"
                  + " most %.2g",
              t.learningRate(),
              t.optimizer(),
              imageSize,
              fanIn,
              product,
              MAX_RATE_FAN_IN,
              cfg.model().type() == ModelType.CNN
                  ? "model.cnn.head=grid"
                  : "a smaller data.folder_image_size",
              MAX_RATE_FAN_IN / fanIn));
    }
    if (!adaptive && t.learningRate() > MAX_SGD_RATE) {
      out.add(
          String.format(
              Locale.ROOT,
              "train.learning_rate=%s with sgd is above %s: such runs train unstably or collapse"
                  + " (measured: 0.2 unstable, 0.5 collapsed in 2 epochs)",
              t.learningRate(),
              MAX_SGD_RATE));
    }
    if (cfg.model().type() == ModelType.CNN && t.batchSize() < MIN_BATCH) {
      out.add(
          String.format(
              Locale.ROOT,
              "train.batch_size=%d: batch normalization estimates its statistics from fewer than"
                  + " %d images, which makes training unstable; use %d or more",
              t.batchSize(),
              MIN_BATCH,
              MIN_BATCH));
    }
    return out;
  }
}
