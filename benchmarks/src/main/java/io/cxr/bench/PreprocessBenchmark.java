package io.cxr.bench;

import io.cxr.core.data.ImageDecoder;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.bytedeco.javacpp.FloatPointer;
import org.datavec.image.loader.NativeImageLoader;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The preprocessing hot path, single thread: JPEG bytes (in memory) -> grayscale -> resize ->
 * floats in [0, 1] in a {@code [32, 1, S, S]} batch tensor. The score is images per second.
 *
 * <ul>
 *   <li>{@code cxr}: cxr's decoder ({@link ImageDecoder}): SIMD libjpeg-turbo (TurboJPEG) straight
 *       to grayscale with DCT-domain scaling by M/8, OpenCV area resize, conversion straight into
 *       the tensor's native memory, buffers reused across images.
 *   <li>{@code cxr_full_decode}: the same without reduced-scale decoding.
 *   <li>{@code cxr_opencv}: cxr's decoder on machines without libturbojpeg: OpenCV's imdecode
 *       (JavaCPP's build, libjpeg-turbo without SIMD) with its 1/2, 1/4, 1/8 reductions.
 *   <li>{@code datavec}: DataVec's {@code NativeImageLoader(S, S, 1)} as the DL4J examples use it,
 *       then scaled to [0, 1] and copied into the batch.
 *   <li>{@code imageio}: {@code ImageIO.read} + Java2D bilinear scaling onto a gray image.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx2g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class PreprocessBenchmark {
  static final int BATCH = 32;

  @Param({"kermany224", "full"})
  public String input;

  @Param({"64", "128"})
  public int size;

  @Param({"cxr", "cxr_full_decode", "cxr_opencv", "datavec", "imageio"})
  public String impl;

  private List<byte[]> files;
  private int next;
  private INDArray batch;
  private FloatPointer batchData;
  private ImageDecoder decoder;
  private NativeImageLoader loader;

  @Setup(Level.Trial)
  public void setup() {
    files = Inputs.read(Inputs.named(input));
    batch = Nd4j.createUninitialized(DataType.FLOAT, BATCH, 1, size, size);
    batchData = (FloatPointer) batch.data().addressPointer();
    decoder = new ImageDecoder(size, !"cxr_full_decode".equals(impl), !"cxr_opencv".equals(impl));
    if ("cxr".equals(impl) && input.equals("kermany224") && size == 64) {
      System.out.println("cxr decoder: " + ImageDecoder.backend());
    }
    loader = new NativeImageLoader(size, size, 1);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    decoder.close();
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public INDArray batchOf32() throws IOException {
    int px = size * size;
    for (int i = 0; i < BATCH; i++) {
      byte[] jpeg = files.get(next);
      next = (next + 1) % files.size();
      switch (impl) {
        case "cxr", "cxr_full_decode", "cxr_opencv" ->
            decoder.decode(jpeg, jpeg.length, "", batchData, i * px);
        case "datavec" -> {
          INDArray img = loader.asMatrix(new ByteArrayInputStream(jpeg)).divi(255f);
          batch.get(NDArrayIndex.point(i)).assign(img.reshape(1, size, size));
        }
        case "imageio" -> {
          float[] f = imageIo(jpeg, size);
          batch.get(NDArrayIndex.point(i)).assign(Nd4j.createFromArray(f).reshape(1, size, size));
        }
        default -> throw new IllegalArgumentException(impl);
      }
    }
    return batch;
  }

  static float[] imageIo(byte[] jpeg, int size) throws IOException {
    BufferedImage src = ImageIO.read(new ByteArrayInputStream(jpeg));
    BufferedImage gray = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
    Graphics2D g = gray.createGraphics();
    g.setRenderingHint(
        RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    g.drawImage(src, 0, 0, size, size, null);
    g.dispose();
    byte[] px = ((DataBufferByte) gray.getRaster().getDataBuffer()).getData();
    float[] out = new float[px.length];
    for (int i = 0; i < px.length; i++) {
      out[i] = (px[i] & 0xff) / 255f;
    }
    return out;
  }
}
