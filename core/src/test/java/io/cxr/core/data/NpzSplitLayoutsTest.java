package io.cxr.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.Reporter;
import io.cxr.core.TestData;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.stage.PrepareStage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The npz layouts the README calls valid (val and test optional) on real PneumoniaMNIST arrays:
 * prepare carves the missing, empty or too-small splits out of train, and every prepared image is
 * the source image its samples.csv row names, with that image's label. (Samples moved to a carved
 * split were once read from the wrong split's array at their old row: images paired with the wrong
 * labels, exit 0.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NpzSplitLayoutsTest {
  Path tmp;
  Map<Split, Npy.Array> images = new EnumMap<>(Split.class);
  Map<Split, Npy.Array> labels = new EnumMap<>(Split.class);

  @BeforeAll
  void readTheRealArrays(@TempDir Path dir) throws IOException {
    tmp = dir;
    try (ZipFile zip = new ZipFile(TestData.npz().toFile())) {
      for (Split s : Split.values()) {
        images.put(s, read(zip, s.key() + "_images.npy"));
        labels.put(s, read(zip, s.key() + "_labels.npy"));
      }
    }
  }

  private static Npy.Array read(ZipFile zip, String entry) throws IOException {
    try (var in = zip.getInputStream(zip.getEntry(entry))) {
      return Npy.read(in, entry);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"train-only", "no-test", "no-val", "empty-val", "small-test"})
  void everyPreparedImageIsTheSourceImageItsRowNamesWithItsLabel(String layout) throws IOException {
    Path npz = tmp.resolve(layout + ".npz");
    Map<Split, Integer> keep = new EnumMap<>(Split.class);
    keep.put(Split.TRAIN, -1);
    switch (layout) {
      case "no-test" -> keep.put(Split.VAL, -1);
      case "no-val" -> keep.put(Split.TEST, -1);
      case "empty-val" -> {
        keep.put(Split.VAL, 0);
        keep.put(Split.TEST, -1);
      }
      case "small-test" -> {
        keep.put(Split.VAL, -1);
        keep.put(Split.TEST, 50);
      }
      default -> {}
    }
    write(npz, keep);
    Path out = tmp.resolve("prepared-" + layout);
    CxrConfig cfg = TestData.config(tmp);
    PrepareStage.run(cfg, npz, out, Reporter.SILENT);
    PreparedDataset p = PreparedDataset.load(out);
    List<String> rows = Files.readAllLines(out.resolve("samples.csv"));
    int checked = 0;
    for (String row : rows.subList(1, rows.size())) {
      String[] c = row.split(",");
      Split split = Split.valueOf(c[0].toUpperCase());
      int index = Integer.parseInt(c[1]);
      String[] id = c[2].split(":");
      Split origin = Split.valueOf(id[0].toUpperCase());
      int source = Integer.parseInt(id[1]);
      PreparedDataset.Images im = p.split(split);
      float[] expected = new float[28 * 28];
      float[] src = images.get(origin).data();
      for (int k = 0; k < expected.length; k++) {
        expected[k] = src[source * expected.length + k] / 255f;
      }
      assertArrayEquals(expected, im.image(index), 1e-6f, layout + ": " + row);
      assertEquals((int) labels.get(origin).data()[source], im.y()[index], layout + ": " + row);
      assertEquals(c[3], im.y()[index] == 1 ? "PNEUMONIA" : "NORMAL", layout + ": " + row);
      checked++;
    }
    int n = 0;
    for (Split s : Split.values()) {
      n += p.split(s).n();
      assertTrue(p.split(s).n() >= 100, layout + ": " + s + " has " + p.split(s).n());
    }
    assertEquals(n, checked, "one samples.csv row per prepared image");
  }

  /** An npz with the given splits: all rows (-1) or the first k. */
  private void write(Path npz, Map<Split, Integer> keep) throws IOException {
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(npz))) {
      for (var e : keep.entrySet()) {
        put(zip, e.getKey().key() + "_images.npy", images.get(e.getKey()), e.getValue());
        put(zip, e.getKey().key() + "_labels.npy", labels.get(e.getKey()), e.getValue());
      }
    }
  }

  private static void put(ZipOutputStream zip, String name, Npy.Array a, int rows)
      throws IOException {
    int n = rows < 0 ? a.shape()[0] : rows;
    int[] shape = a.shape().clone();
    shape[0] = n;
    int per = (int) (a.size() / a.shape()[0]);
    zip.putNextEntry(new ZipEntry(name));
    OutputStream out = zip;
    Npy.writeHeader(out, "|u1", shape);
    byte[] bytes = new byte[n * per];
    float[] d = Arrays.copyOf(a.data(), n * per);
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) (int) d[i];
    }
    out.write(bytes);
    zip.closeEntry();
  }
}
