package io.cxr.bench;

import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.config.Normalization;
import io.cxr.core.data.Pixels;
import io.cxr.core.model.Backend;
import io.cxr.core.model.NetworkFactory;
import io.cxr.core.model.Scorer;
import io.cxr.core.train.Augmenter;
import io.cxr.core.train.Batches;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * CNN training throughput: images per second of {@code fit} on batches of 32, with cxr's default
 * CNN ({@code model.cnn}: three conv3x3 + batch-norm + ReLU + max-pool blocks of 16/32/64 filters,
 * dense 64, dropout 0.3, softmax; Adam 1e-3, l2 1e-4) on 256 real X-rays decoded at S x S. The same
 * architecture, data and batch size run in PyTorch in {@code compare.py}.
 *
 * <ul>
 *   <li>{@code variant=fit}: cxr's setup (ND4J's oneDNN build, DL4J's oneDNN layer helpers on,
 *       workspaces ENABLED); batches built beforehand, only {@code net.fit} is timed.
 *   <li>{@code trainer}: the same, with batch assembly and augmentation on the training thread
 *       before each fit, as {@code Trainer} runs it (what a prefetching iterator could hide).
 *   <li>{@code fit_no_helpers}: DL4J's built-in im2col layers (its default in M2.1).
 *   <li>{@code fit_no_workspaces}: workspace mode NONE.
 * </ul>
 *
 * ND4J uses as many OpenMP threads as there are physical cores ({@code OMP_NUM_THREADS} changes
 * it); the run prints the backend's environment once.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx4g"})
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 4, time = 5)
public class TrainingBenchmark {
  static final int BATCH = 32;

  @Param({"64", "128"})
  public int size;

  @Param({"fit", "trainer", "fit_no_helpers", "fit_no_workspaces"})
  public String variant;

  private MultiLayerNetwork net;
  private DataSet[] batches;
  private float[] x;
  private int[] labels;
  private int[] order;
  private Augmenter augmenter;
  private final Random rnd = new Random(42);
  private int next;

  @Setup(Level.Trial)
  public void setup() {
    CxrConfig cfg = ConfigLoader.load(null, List.of("train.batch_size=" + BATCH));
    System.setProperty(Backend.HELPERS_DISABLE, String.valueOf(variant.equals("fit_no_helpers")));
    net =
        NetworkFactory.build(io.cxr.core.config.ModelType.CNN, cfg, size, new double[] {1.4, 0.8});
    WorkspaceMode mode =
        variant.equals("fit_no_workspaces") ? WorkspaceMode.NONE : WorkspaceMode.ENABLED;
    net.getLayerWiseConfigurations().setTrainingWorkspaceMode(mode);
    net.getLayerWiseConfigurations().setInferenceWorkspaceMode(mode);
    x = Inputs.tensors(size);
    labels = Inputs.kermanyLabels(Inputs.kermany224().subList(0, Inputs.TENSOR_IMAGES));
    order = new int[Inputs.TENSOR_IMAGES];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    batches = batches(x, labels, size);
    augmenter = new Augmenter(cfg.train().augment());
    if (size == 64) {
      System.out.println(BackendInfo.describe(net));
    }
  }

  /** The benchmark's fixed batches of {@link #BATCH} images, in order, built once. */
  static DataSet[] batches(float[] x, int[] labels, int size) {
    int px = size * size;
    int[] order = new int[labels.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    DataSet[] out = new DataSet[labels.length / BATCH];
    for (int b = 0; b < out.length; b++) {
      float[] fx = new float[BATCH * px];
      System.arraycopy(x, b * BATCH * px, fx, 0, fx.length);
      out[b] =
          new DataSet(
              Scorer.features(fx, BATCH, size), Batches.oneHot(labels, order, b * BATCH, BATCH));
    }
    return out;
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public double fitBatch() {
    DataSet ds;
    if ("trainer".equals(variant)) {
      ds = assemble();
    } else {
      ds = batches[next];
      next = (next + 1) % batches.length;
    }
    net.fit(ds);
    return net.score();
  }

  /** What {@code Trainer} does per batch (the same code): copy, augment, normalise, wrap. */
  private DataSet assemble() {
    int from = (next * BATCH) % Inputs.TENSOR_IMAGES;
    next++;
    return Batches.training(
        Pixels.of(x, size * size),
        labels,
        order,
        from,
        BATCH,
        size,
        Normalization.PER_IMAGE,
        augmenter,
        rnd);
  }
}
