package io.cxr.bench;

import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.model.NetworkFactory;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Nothing but training steps of the benchmark CNN ({@link TrainingProfile}'s network and batches):
 * {@code warm-up + steps} calls of {@code fit}, so that a tool watching the native calls (oneDNN's
 * {@code DNNL_VERBOSE=1}, run by {@code benchmarks/onednn-verbose.sh}) sees training steps only.
 *
 * <p>Usage: {@code FitSteps <size> <steps>}; prints {@code steps=<warm-up + steps>} and the wall
 * time per timed step.
 */
public final class FitSteps {
  private static final int WARM_UP = 10;

  private FitSteps() {}

  public static void main(String[] args) {
    int size = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    int steps = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    CxrConfig cfg = ConfigLoader.load(null, List.of("train.batch_size=" + TrainingBenchmark.BATCH));
    MultiLayerNetwork net =
        NetworkFactory.build(io.cxr.core.config.ModelType.CNN, cfg, size, new double[] {1.4, 0.8});
    DataSet[] batches =
        TrainingBenchmark.batches(
            Inputs.tensors(size),
            Inputs.kermanyLabels(Inputs.kermany224().subList(0, Inputs.TENSOR_IMAGES)),
            size);
    for (int i = 0; i < WARM_UP; i++) {
      net.fit(batches[i % batches.length]);
    }
    long t0 = System.nanoTime();
    for (int i = 0; i < steps; i++) {
      net.fit(batches[i % batches.length]);
    }
    System.out.printf(
        Locale.ROOT,
        "steps=%d size=%d batch=%d step_ms=%.2f%n",
        WARM_UP + steps,
        size,
        TrainingBenchmark.BATCH,
        (System.nanoTime() - t0) / 1e6 / steps);
  }
}
