package io.cxr.bench;

import io.cxr.core.Reporter;
import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.io.AtomicFiles;
import io.cxr.core.stage.PrepareStage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The whole {@code prepare} stage on the real {@code chest_xray_224} tree (all 5,216 images:
 * listing, patient-wise split, decode, duplicate check, statistics, .npy files, manifest, atomic
 * publish) with {@code data.workers} 1 and 2. Score: milliseconds per prepare (lower is better);
 * compare.py takes the median of the 10 runs (this 2-vCPU machine has noisy neighbours). Eight
 * warm-up runs: the two-thread configuration needs about six before the JIT has settled. {@code
 * maxPerClass > 0} caps the images per class and split (the CI smoke run uses it).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx2g"})
@Warmup(iterations = 8)
@Measurement(iterations = 10)
public class PrepareBenchmark {
  @Param({"1", "2"})
  public int workers;

  @Param({"64", "128"})
  public int size;

  @Param({"0"})
  public int maxPerClass;

  private CxrConfig cfg;
  private Path source;
  private Path out;

  @Setup(Level.Trial)
  public void setup() throws IOException {
    source = Inputs.sharedData().resolve("chest_xray_224");
    cfg =
        ConfigLoader.load(
            null,
            List.of(
                "data.workers=" + workers,
                "data.image_size=" + size,
                "data.max_per_class=" + maxPerClass));
    out = Files.createTempDirectory("cxr-bench-prepare").resolve("prepared");
  }

  /**
   * The previous run's output goes before the clock starts (prepare refuses nothing, but the
   * deletion of ~90-350 MB is not prepare's work).
   */
  @Setup(Level.Invocation)
  public void clean() {
    AtomicFiles.deleteRecursively(out);
  }

  @Benchmark
  public PrepareStage.Result prepare() {
    return PrepareStage.run(cfg, source, out, Reporter.SILENT);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    AtomicFiles.deleteRecursively(out.getParent());
  }
}
