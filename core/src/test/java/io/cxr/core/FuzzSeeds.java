package io.cxr.core;

import io.cxr.core.config.ConfigLoader;
import io.cxr.core.data.Npy;
import io.cxr.core.model.ModelBundle;
import io.cxr.core.model.ModelCard;
import io.cxr.core.model.NetworkFactory;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;

/**
 * Writes the fuzzers' starting corpora from the real data: small valid inputs of each format, so
 * the fuzzer starts past the magic bytes (scripts/fuzz.sh). Usage: {@code FuzzSeeds <out-dir>}; one
 * sub-folder per fuzz target, named {@code <TestClass>/<method>}.
 */
public final class FuzzSeeds {
  private FuzzSeeds() {}

  public static void main(String[] args) throws IOException {
    Path out = Path.of(args[0]);
    Path kermany = TestData.kermany();

    Path img =
        dir(out, "io.cxr.core.data.ImageDecoderFuzzTest", "decodesAnyBytesOrRefusesWithOneLine");
    List<Path> xrays;
    try (Stream<Path> s = Files.list(kermany.resolve("train").resolve("NORMAL"))) {
      xrays = s.sorted().limit(2).toList();
    }
    try (Stream<Path> s = Files.list(kermany.resolve("train").resolve("PNEUMONIA"))) {
      xrays = Stream.concat(xrays.stream(), s.sorted().limit(2)).toList();
    }
    int i = 0;
    for (Path x : xrays) {
      BufferedImage full = ImageIO.read(x.toFile());
      // small copies keep the fuzzer fast; the JPEG structure (markers, tables) is the real one
      for (int side : new int[] {24, 48}) {
        BufferedImage small = new BufferedImage(side, side, BufferedImage.TYPE_BYTE_GRAY);
        small.getGraphics().drawImage(full, 0, 0, side, side, null);
        Files.write(img.resolve("xray-" + i + "-" + side + ".jpg"), encode(small, "jpg"));
        Files.write(img.resolve("xray-" + i + "-" + side + ".png"), encode(small, "png"));
      }
      i++;
    }

    Path npy = dir(out, "io.cxr.core.data.NpyFuzzTest", "readsAnyBytesOrRefusesWithOneLine");
    Files.write(npy.resolve("u1.npy"), npy("|u1", new byte[] {0, 1, 2, 3, 4, 5}, 2, 3));
    Files.write(npy.resolve("f4.npy"), npy("<f4", new byte[8], 2));
    Files.write(npy.resolve("i8.npy"), npy(">i8", new byte[16], 2, 1));
    Files.write(npy.resolve("b1.npy"), npy("|b1", new byte[] {1}, 1));

    Path npz = dir(out, "io.cxr.core.data.NpzSourceFuzzTest", "opensAnyFileOrRefusesWithOneLine");
    byte[] px = new byte[3 * 16 * 16];
    for (int k = 0; k < px.length; k++) {
      px[k] = (byte) (k * 7);
    }
    Files.write(
        npz.resolve("train-only.npz"),
        zip(
            Map.of(
                "train_images.npy", npy("|u1", px, 3, 16, 16),
                "train_labels.npy", npy("|u1", new byte[] {0, 1, 1}, 3, 1))));
    Files.write(
        npz.resolve("three-splits.npz"),
        zip(
            Map.of(
                "train_images.npy", npy("|u1", px, 3, 16, 16),
                "train_labels.npy", npy("|u1", new byte[] {0, 1, 1}, 3, 1),
                "val_images.npy", npy("|u1", px, 3, 16, 16),
                "val_labels.npy", npy("|u1", new byte[] {1, 0, 1}, 3),
                "test_images.npy", npy("|u1", px, 3, 16, 16),
                "test_labels.npy", npy("|u1", new byte[] {1, 1, 0}, 3, 1))));

    Path cfg =
        dir(out, "io.cxr.core.config.ConfigLoaderFuzzTest", "loadsAnyYamlOrRefusesWithOneLine");
    // FuzzedDataProvider takes its integers from the end of the input: a trailing 0 = no overrides
    byte[] yaml = Files.readAllBytes(Path.of("..", "conf", "config.yaml"));
    Files.write(cfg.resolve("project-config.yaml"), withTrailingZero(yaml));
    Files.write(
        cfg.resolve("defaults.yaml"),
        withTrailingZero(ConfigLoader.toYaml(ConfigLoader.load(null, List.of())).getBytes()));

    Path model =
        dir(out, "io.cxr.core.model.ModelBundleFuzzTest", "readsAnyModelFileOrRefusesWithOneLine");
    var config = ConfigLoader.load(null, List.of("model.dense.hidden=[2]"));
    var net =
        NetworkFactory.build(io.cxr.core.config.ModelType.DENSE, config, 4, new double[] {1, 1});
    var card =
        new ModelCard(
            ModelCard.FORMAT,
            io.cxr.core.config.ModelType.DENSE,
            4,
            0.5,
            io.cxr.core.config.Normalization.PER_IMAGE,
            List.of("NORMAL", "PNEUMONIA"),
            Map.of("val_auc", 0.5),
            Map.of(),
            "2026-11-30T00:00:00Z",
            "",
            null,
            null,
            null);
    new ModelBundle(net, card).save(model.resolve("dense-4px.zip"));
    System.out.println("fuzz seeds written to " + out);
  }

  private static Path dir(Path out, String cls, String method) throws IOException {
    return Files.createDirectories(out.resolve(cls).resolve(method));
  }

  private static byte[] withTrailingZero(byte[] b) {
    return java.util.Arrays.copyOf(b, b.length + 4);
  }

  private static byte[] encode(BufferedImage image, String format) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    ImageIO.write(image, format, b);
    return b.toByteArray();
  }

  private static byte[] npy(String dtype, byte[] data, int... shape) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    Npy.writeHeader(b, dtype, shape);
    b.write(data);
    return b.toByteArray();
  }

  private static byte[] zip(Map<String, byte[]> entries) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(b)) {
      for (var e : new java.util.TreeMap<>(entries).entrySet()) {
        z.putNextEntry(new ZipEntry(e.getKey()));
        z.write(e.getValue());
        z.closeEntry();
      }
    }
    return b.toByteArray();
  }
}
