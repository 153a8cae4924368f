package io.cxr.bench;

import io.cxr.core.config.Normalization;
import io.cxr.core.data.Pixels;
import io.cxr.core.model.InputNormalizer;
import io.cxr.core.train.Batches;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
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
 * Batch assembly for training: 32 shuffled images of a prepared split -> per-image normalisation ->
 * a {@code [32, 1, S, S]} feature tensor. {@code copy}: a fresh Java array per batch wrapped by
 * {@link Batches#features} (what the trainer does); {@code in_place}: one reused scratch array and
 * one reused tensor, filled with a single native copy. Score: images per second.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BatchAssemblyBenchmark {
  static final int BATCH = 32;
  static final int IMAGES = 1024;

  @Param({"64", "128"})
  public int size;

  @Param({"copy", "in_place"})
  public String impl;

  private float[] split;
  private int[] order;
  private final int[] labels = new int[IMAGES];
  private int next;
  private float[] scratch;
  private INDArray reused;
  private FloatPointer reusedData;

  @Setup(Level.Trial)
  public void setup() {
    int px = size * size;
    float[] real = Inputs.tensors(size); // 256 real images, repeated to 1024
    split = new float[IMAGES * px];
    for (int i = 0; i < IMAGES; i++) {
      System.arraycopy(real, (i % Inputs.TENSOR_IMAGES) * px, split, i * px, px);
    }
    order = new int[IMAGES];
    Random r = new Random(7);
    for (int i = 0; i < IMAGES; i++) {
      order[i] = r.nextInt(IMAGES);
    }
    scratch = new float[BATCH * px];
    reused = Nd4j.createUninitialized(DataType.FLOAT, BATCH, 1, size, size);
    reusedData = (FloatPointer) reused.data().addressPointer();
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public INDArray assemble() {
    int from = next;
    next = (next + BATCH) % (IMAGES - BATCH);
    if (!"in_place".equals(impl)) {
      return Batches.training(
              Pixels.of(split, size * size),
              labels,
              order,
              from,
              BATCH,
              size,
              Normalization.PER_IMAGE,
              null,
              null)
          .getFeatures();
    }
    int px = size * size;
    float[] img = new float[px];
    for (int i = 0; i < BATCH; i++) {
      System.arraycopy(split, order[from + i] * px, img, 0, px);
      InputNormalizer.apply(Normalization.PER_IMAGE, img, scratch, i * px);
    }
    reusedData.position(0).put(scratch, 0, scratch.length);
    return reused;
  }
}
