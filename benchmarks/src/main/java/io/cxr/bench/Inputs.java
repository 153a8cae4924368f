package io.cxr.bench;

import io.cxr.core.config.Normalization;
import io.cxr.core.data.ImageDecoder;
import io.cxr.core.data.Npy;
import io.cxr.core.model.InputNormalizer;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * The benchmark inputs, the same files for JMH and for {@code compare.py}.
 *
 * <ul>
 *   <li>{@code kermany224}: the first {@value #KERMANY_FILES} JPEGs (by name, NORMAL then
 *       PNEUMONIA, alternating) of {@code chest_xray_224/train}: real 224x224 chest X-rays.
 *   <li>{@code full}: {@value #FULL_FILES} synthesised full-size radiographs, 2000x1700 like the
 *       original Kermany images: a real 224x224 X-ray upscaled with bicubic interpolation, plus
 *       Gaussian film-grain noise (sigma 6 grey levels, fixed seed) so that the JPEG carries
 *       realistic high-frequency detail, saved as 3-channel baseline JPEG at quality 90 (the real
 *       files are RGB-encoded greyscale too). Built once into {@code target/bench-inputs/}.
 *   <li>{@code tensors_<S>.npy}: the first 256 kermany224 images decoded by cxr at S x S and
 *       normalised per image, plus their labels: the training benchmark's data for DL4J and PyTorch
 *       alike.
 * </ul>
 */
public final class Inputs {
  public static final int KERMANY_FILES = 256;
  public static final int FULL_FILES = 12;
  public static final int FULL_W = 2000;
  public static final int FULL_H = 1700;
  public static final int TENSOR_IMAGES = 256;

  private Inputs() {}

  /** {@code ../shared/data} unless {@code CXR_SHARED_DATA} or {@code -Dcxr.shared.data} say. */
  public static Path sharedData() {
    String p = System.getProperty("cxr.shared.data", System.getenv("CXR_SHARED_DATA"));
    Path dir = p != null && !p.isBlank() ? Path.of(p) : Path.of("..", "shared", "data");
    if (!Files.isDirectory(dir.resolve("chest_xray_224"))) {
      throw new IllegalStateException(
          "benchmark data: "
              + dir.toAbsolutePath().normalize()
              + "/chest_xray_224 not found (set CXR_SHARED_DATA to the shared data folder)");
    }
    return dir.toAbsolutePath().normalize();
  }

  /** Where generated inputs live: {@code CXR_BENCH_INPUTS}, else target/bench-inputs. */
  public static Path workDir() {
    String p = System.getProperty("cxr.bench.inputs", System.getenv("CXR_BENCH_INPUTS"));
    return Path.of(p != null && !p.isBlank() ? p : "target/bench-inputs")
        .toAbsolutePath()
        .normalize();
  }

  /** The real 224x224 files, NORMAL and PNEUMONIA alternating, deterministic. */
  public static List<Path> kermany224() {
    Path train = sharedData().resolve("chest_xray_224").resolve("train");
    List<Path> normal = list(train.resolve("NORMAL"));
    List<Path> pneu = list(train.resolve("PNEUMONIA"));
    List<Path> out = new ArrayList<>();
    for (int i = 0; out.size() < KERMANY_FILES && (i < normal.size() || i < pneu.size()); i++) {
      if (i < normal.size()) {
        out.add(normal.get(i));
      }
      if (i < pneu.size() && out.size() < KERMANY_FILES) {
        out.add(pneu.get(i));
      }
    }
    return out;
  }

  /** Labels of {@link #kermany224()}: 0 NORMAL, 1 PNEUMONIA. */
  public static int[] kermanyLabels(List<Path> files) {
    return files.stream()
        .mapToInt(f -> f.getParent().getFileName().toString().equals("PNEUMONIA") ? 1 : 0)
        .toArray();
  }

  /** The synthesised 2000x1700 files, made on first use. */
  public static synchronized List<Path> fullSize() {
    Path dir = workDir().resolve("full-" + FULL_W + "x" + FULL_H);
    List<Path> src = kermany224();
    List<Path> out = new ArrayList<>();
    for (int i = 0; i < FULL_FILES; i++) {
      Path f = dir.resolve(String.format("full-%02d.jpeg", i));
      if (!Files.exists(f)) {
        synthesise(src.get(i * 7 % src.size()), f, 1000L + i);
      }
      out.add(f);
    }
    return out;
  }

  /** Inputs by name: kermany224 or full. */
  public static List<Path> named(String name) {
    return switch (name) {
      case "kermany224" -> kermany224();
      case "full" -> fullSize();
      default -> throw new IllegalArgumentException("input set " + name);
    };
  }

  public static List<byte[]> read(List<Path> files) {
    List<byte[]> out = new ArrayList<>(files.size());
    for (Path f : files) {
      try {
        out.add(Files.readAllBytes(f));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }

  /** The first {@value #TENSOR_IMAGES} kermany224 images at S x S, normalised per image. */
  public static float[] tensors(int size) {
    List<Path> files = kermany224().subList(0, TENSOR_IMAGES);
    int px = size * size;
    float[] x = new float[files.size() * px];
    float[] img = new float[px];
    try (ImageDecoder dec = new ImageDecoder(size)) {
      for (int i = 0; i < files.size(); i++) {
        dec.decodeFile(files.get(i), img, 0);
        InputNormalizer.apply(Normalization.PER_IMAGE, img, x, i * px);
      }
    }
    return x;
  }

  private static void synthesise(Path from, Path to, long seed) {
    try {
      BufferedImage small = ImageIO.read(from.toFile());
      BufferedImage big = new BufferedImage(FULL_W, FULL_H, BufferedImage.TYPE_3BYTE_BGR);
      var g = big.createGraphics();
      g.setRenderingHint(
          RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
      g.drawImage(small, 0, 0, FULL_W, FULL_H, null);
      g.dispose();
      Random rnd = new Random(seed);
      byte[] px = ((DataBufferByte) big.getRaster().getDataBuffer()).getData();
      for (int i = 0; i < px.length; i += 3) {
        int v = (px[i] & 0xff) + (int) Math.round(rnd.nextGaussian() * 6);
        byte b = (byte) Math.max(0, Math.min(255, v));
        px[i] = b;
        px[i + 1] = b;
        px[i + 2] = b;
      }
      Files.createDirectories(to.getParent());
      Path tmp = Files.createTempFile(to.getParent(), ".full", ".part");
      ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
      ImageWriteParam p = w.getDefaultWriteParam();
      p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      p.setCompressionQuality(0.9f);
      try (ImageOutputStream out = ImageIO.createImageOutputStream(tmp.toFile())) {
        w.setOutput(out);
        w.write(null, new IIOImage(big, null, null), p);
      } finally {
        w.dispose();
      }
      Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<Path> list(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".jpeg")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Writes the file lists and tensors {@code compare.py} reads: {@code kermany224.txt}, {@code
   * full.txt}, {@code x_<S>.npy} and {@code y.npy} for S in 64, 128.
   */
  public static void main(String[] args) throws IOException {
    Path dir = args.length > 0 ? Path.of(args[0]) : workDir();
    Files.createDirectories(dir);
    Files.write(dir.resolve("kermany224.txt"), kermany224().stream().map(Path::toString).toList());
    Files.write(dir.resolve("full.txt"), fullSize().stream().map(Path::toString).toList());
    for (int size : new int[] {64, 128}) {
      float[] x = tensors(size);
      try (OutputStream out = Files.newOutputStream(dir.resolve("x_" + size + ".npy"))) {
        Npy.writeHeader(out, "<f4", TENSOR_IMAGES, 1, size, size);
        ByteBuffer b = ByteBuffer.allocate(x.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(x);
        out.write(b.array());
      }
    }
    int[] y = kermanyLabels(kermany224().subList(0, TENSOR_IMAGES));
    try (OutputStream out = Files.newOutputStream(dir.resolve("y.npy"))) {
      Npy.writeHeader(out, "|u1", y.length);
      for (int v : y) {
        out.write(v);
      }
    }
    System.out.println("benchmark inputs in " + dir);
  }
}
