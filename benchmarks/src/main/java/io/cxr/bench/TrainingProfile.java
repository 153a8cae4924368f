package io.cxr.bench;

import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.model.NetworkFactory;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.profiler.OpProfiler;
import org.nd4j.linalg.profiler.ProfilerConfig;

/**
 * Where one training step's time goes in DL4J (issue 16, "profile, don't guess"): the same CNN and
 * batches as {@link TrainingBenchmark}'s {@code fit} variant, timed three ways:
 *
 * <ol>
 *   <li>the wall time of {@code fit} per step, without profiling;
 *   <li>the same steps under ND4J's op profiler ({@code checkElapsedTime}): every native op with
 *       its time, printed as ND4J's dashboard (op name, calls, total time);
 *   <li>forward only ({@code output} in training mode) against the whole step, which splits forward
 *       from backward plus the update.
 * </ol>
 *
 * Usage: {@code TrainingProfile <size> <steps> [NONE|DEVICE]} (defaults 64, 40, NONE: DL4J's cache
 * mode). Run by {@code benchmarks/profile.sh}.
 */
public final class TrainingProfile {
  private TrainingProfile() {}

  public static void main(String[] args) {
    int size = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    int steps = args.length > 1 ? Integer.parseInt(args[1]) : 40;
    // DL4J's cache mode: NONE recomputes each convolution's output in backprop; DEVICE keeps it
    org.deeplearning4j.nn.conf.CacheMode cache =
        org.deeplearning4j.nn.conf.CacheMode.valueOf(args.length > 2 ? args[2] : "NONE");
    int batch = TrainingBenchmark.BATCH;
    CxrConfig cfg = ConfigLoader.load(null, List.of("train.batch_size=" + batch));
    MultiLayerNetwork net =
        NetworkFactory.build(io.cxr.core.config.ModelType.CNN, cfg, size, new double[] {1.4, 0.8});
    net.setCacheMode(cache);
    DataSet[] batches =
        TrainingBenchmark.batches(
            Inputs.tensors(size),
            Inputs.kermanyLabels(Inputs.kermany224().subList(0, Inputs.TENSOR_IMAGES)),
            size);
    System.out.println(BackendInfo.describe(net));
    for (int i = 0; i < 20; i++) { // warm-up: JIT, oneDNN primitive caches, workspaces
      net.fit(batches[i % batches.length]);
    }

    long t0 = System.nanoTime();
    for (int i = 0; i < steps; i++) {
      net.fit(batches[i % batches.length]);
    }
    double stepMs = (System.nanoTime() - t0) / 1e6 / steps;

    long f0 = System.nanoTime();
    for (int i = 0; i < steps; i++) {
      net.output(batches[i % batches.length].getFeatures(), true);
    }
    double forwardMs = (System.nanoTime() - f0) / 1e6 / steps;

    OpProfiler.getInstance().reset();
    Nd4j.getExecutioner()
        .setProfilingConfig(ProfilerConfig.builder().checkElapsedTime(true).build());
    long p0 = System.nanoTime();
    for (int i = 0; i < steps; i++) {
      net.fit(batches[i % batches.length]);
    }
    double profiledMs = (System.nanoTime() - p0) / 1e6 / steps;
    Nd4j.getExecutioner().setProfilingConfig(ProfilerConfig.builder().build());

    System.out.printf(
        Locale.ROOT,
        "PROFILE size=%d batch=%d steps=%d cache=%s threads(omp)=%s%n"
            + "step_ms=%.2f images_per_s=%.1f forward_ms=%.2f backward_and_update_ms=%.2f"
            + " profiled_step_ms=%.2f%n",
        size,
        batch,
        steps,
        cache,
        System.getenv().getOrDefault("OMP_NUM_THREADS", "default"),
        stepMs,
        batch * 1000 / stepMs,
        forwardMs,
        stepMs - forwardMs,
        profiledMs);
    OpProfiler.getInstance().printOutDashboard();
  }
}
