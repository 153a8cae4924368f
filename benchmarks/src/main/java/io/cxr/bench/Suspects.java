package io.cxr.bench;

import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.model.NetworkFactory;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The named suspects of issue 16, each measured on the benchmark CNN and its real X-ray batches
 * (the tensors of {@link TrainingBenchmark}); one line of {@code key=value} results per run, so
 * that {@code benchmarks/suspects.sh} can run each setting in its own JVM (thread settings are read
 * at start-up by libnd4j's OpenMP).
 *
 * <ul>
 *   <li>{@code train <size> <batch> <steps>}: milliseconds per {@code fit} step and images/s after
 *       a warm-up, then a census of subnormal floats (denormals) in everything the step computes
 *       with: parameters, gradients, Adam's two moment arrays and every layer's activations of the
 *       last batch. PyTorch's reference run flushes denormals; ND4J cannot, so this says whether it
 *       needs to.
 *   <li>{@code infer <size> <batch> <steps>}: images/s of {@code output} in inference mode (what
 *       {@code evaluate} and {@code predict} run per batch), no gradients.
 * </ul>
 */
public final class Suspects {
  private Suspects() {}

  public static void main(String[] args) {
    String mode = args[0];
    int size = Integer.parseInt(args[1]);
    int batch = Integer.parseInt(args[2]);
    int steps = Integer.parseInt(args[3]);
    CxrConfig cfg = ConfigLoader.load(null, List.of("train.batch_size=" + batch));
    MultiLayerNetwork net =
        NetworkFactory.build(io.cxr.core.config.ModelType.CNN, cfg, size, new double[] {1.4, 0.8});
    DataSet[] batches = batches(size, batch);
    String common =
        String.format(
            Locale.ROOT,
            "mode=%s size=%d batch=%d steps=%d omp_threads=%s nd4j_threads=%d",
            mode,
            size,
            batch,
            steps,
            System.getenv().getOrDefault("OMP_NUM_THREADS", "default"),
            Nd4j.getEnvironment().maxThreads());
    if (mode.equals("train")) {
      for (int i = 0; i < 20; i++) {
        net.fit(batches[i % batches.length]);
      }
      long t0 = System.nanoTime();
      for (int i = 0; i < steps; i++) {
        net.fit(batches[i % batches.length]);
      }
      double ms = (System.nanoTime() - t0) / 1e6 / steps;
      System.out.printf(
          Locale.ROOT,
          "RESULT %s step_ms=%.2f images_per_s=%.1f %s%n",
          common,
          ms,
          batch * 1000 / ms,
          census(net, batches[(steps - 1) % batches.length]));
    } else if (mode.equals("infer")) {
      for (int i = 0; i < 20; i++) {
        net.output(batches[i % batches.length].getFeatures(), false);
      }
      long t0 = System.nanoTime();
      for (int i = 0; i < steps; i++) {
        net.output(batches[i % batches.length].getFeatures(), false);
      }
      double ms = (System.nanoTime() - t0) / 1e6 / steps;
      System.out.printf(
          Locale.ROOT,
          "RESULT %s batch_ms=%.3f images_per_s=%.1f%n",
          common,
          ms,
          batch * 1000 / ms);
    } else {
      throw new IllegalArgumentException("mode: expected train or infer, got " + mode);
    }
  }

  /** The benchmark's real tensors in batches of {@code batch} (repeated to fill 8 batches). */
  static DataSet[] batches(int size, int batch) {
    float[] x = Inputs.tensors(size);
    int[] labels = Inputs.kermanyLabels(Inputs.kermany224().subList(0, Inputs.TENSOR_IMAGES));
    int n = Math.max(Inputs.TENSOR_IMAGES, 8 * batch);
    int px = size * size;
    float[] xs = new float[n * px];
    int[] ys = new int[n];
    for (int i = 0; i < n; i++) {
      System.arraycopy(x, (i % Inputs.TENSOR_IMAGES) * px, xs, i * px, px);
      ys[i] = labels[i % Inputs.TENSOR_IMAGES];
    }
    DataSet[] out = new DataSet[n / batch];
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int b = 0; b < out.length; b++) {
      float[] fx = new float[batch * px];
      System.arraycopy(xs, b * batch * px, fx, 0, fx.length);
      out[b] =
          new DataSet(
              io.cxr.core.model.Scorer.features(fx, batch, size),
              io.cxr.core.train.Batches.oneHot(ys, order, b * batch, batch));
    }
    return out;
  }

  /** Subnormal and zero counts in the step's arrays: {@code name=subnormal/total}. */
  static String census(MultiLayerNetwork net, DataSet last) {
    StringBuilder b = new StringBuilder();
    b.append(count("params", net.params()));
    net.setInput(last.getFeatures());
    net.setLabels(last.getLabels());
    net.computeGradientAndScore();
    b.append(' ').append(count("gradients", net.gradient().gradient()));
    INDArray state = net.getUpdater().getStateViewArray();
    b.append(' ').append(count("adam_state", state));
    Census acts = new Census();
    for (INDArray a : net.feedForward(last.getFeatures(), true)) {
      acts.add(a);
    }
    b.append(String.format(Locale.ROOT, " activations=%d/%d", acts.subnormal, acts.total));
    b.append(String.format(Locale.ROOT, " smallest_nonzero_activation=%.3g", acts.smallest));
    for (Layer l : net.getLayers()) {
      l.clear();
    }
    return b.toString();
  }

  private static String count(String name, INDArray a) {
    if (a == null) {
      return name + "=none";
    }
    Census c = new Census();
    c.add(a);
    return String.format(
        Locale.ROOT, "%s=%d/%d %s_smallest=%.3g", name, c.subnormal, c.total, name, c.smallest);
  }

  /** Subnormal floats, all floats and the smallest non-zero magnitude seen. */
  private static final class Census {
    long subnormal;
    long total;
    float smallest = Float.MAX_VALUE;

    void add(INDArray a) {
      for (float f : a.dup().data().asFloat()) {
        float m = Math.abs(f);
        if (m != 0 && m < Float.MIN_NORMAL) {
          subnormal++;
        }
        if (m != 0) {
          smallest = Math.min(smallest, m);
        }
        total++;
      }
    }
  }
}
