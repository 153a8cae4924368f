package io.cxr.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.TestData;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.stage.PrepareStage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each bad input: a one-line error naming the culprit, and no prepared output at all. */
class BadInputTest {
  @TempDir Path tmp;
  Path src;
  CxrConfig cfg;

  @BeforeEach
  void realFolder() throws IOException {
    src = TestData.smallKermany(tmp, 12);
    cfg =
        TestData.config(
            tmp,
            "data.folder_image_size=32",
            "data.min_split_images=1",
            "data.val_fraction=0.25",
            "data.test_fraction=0.25");
  }

  private String fails() {
    CxrException e =
        assertThrows(
            CxrException.class,
            () -> PrepareStage.run(cfg, src, tmp.resolve("prepared"), Reporter.SILENT));
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    assertFalse(Files.exists(tmp.resolve("prepared")), "no partial output");
    try (var s = Files.list(tmp)) {
      assertTrue(
          s.map(p -> p.getFileName().toString()).noneMatch(n -> n.startsWith(".prepared")),
          "no staging folder or lock file left behind");
    } catch (IOException e2) {
      throw new AssertionError(e2);
    }
    return e.getMessage();
  }

  @Test
  void goodFolderPrepares() {
    PrepareStage.Result r = PrepareStage.run(cfg, src, tmp.resolve("prepared"), Reporter.SILENT);
    assertTrue(r.stats().get(Split.TRAIN).count() > 0);
  }

  @Test
  void corruptJpeg() throws IOException {
    Path good = TestData.jpegs("NORMAL", 1).get(0);
    byte[] bytes = Files.readAllBytes(good);
    for (int i = 2; i < 400; i++) {
      bytes[i] = (byte) (i * 31); // destroy the JPEG headers after the SOI marker
    }
    Path bad = src.resolve("train/NORMAL/IM-9999-0001.jpeg");
    Files.write(bad, bytes);
    String m = fails();
    assertTrue(m.contains("IM-9999-0001.jpeg") && m.contains("cannot decode"), m);
  }

  @Test
  void zeroByteFile() throws IOException {
    Files.write(src.resolve("train/PNEUMONIA/person9999_bacteria_1.jpeg"), new byte[0]);
    String m = fails();
    assertTrue(m.contains("person9999_bacteria_1.jpeg") && m.contains("0 bytes"), m);
  }

  @Test
  void nonImageFileInClassFolder() throws IOException {
    Files.writeString(src.resolve("train/NORMAL/notes.txt"), "not an image");
    String m = fails();
    assertTrue(m.contains("notes.txt") && m.contains("expected .jpeg"), m);
  }

  @Test
  void textFileNamedJpeg() throws IOException {
    Files.writeString(src.resolve("train/NORMAL/IM-8888-0001.jpeg"), "hello, not a JPEG");
    String m = fails();
    assertTrue(m.contains("IM-8888-0001.jpeg"), m);
  }

  @Test
  void emptyClassFolder() throws IOException {
    Path dir = src.resolve("test/NORMAL");
    Files.createDirectories(dir);
    Files.createDirectories(src.resolve("test/PNEUMONIA"));
    Files.copy(TestData.jpegs("PNEUMONIA", 1).get(0), src.resolve("test/PNEUMONIA/x.jpeg"));
    String m = fails();
    assertTrue(m.contains("test/NORMAL") && m.contains("empty"), m);
  }

  @Test
  void missingClassFolder() throws IOException {
    Files.createDirectories(src.resolve("val/PNEUMONIA"));
    String m = fails();
    assertTrue(m.contains("missing class folder 'NORMAL'"), m);
  }

  @Test
  void missingTrainSplitFolder() throws IOException {
    Files.move(src.resolve("train"), src.resolve("test"));
    String m = fails();
    assertTrue(m.contains("missing split folder 'train'"), m);
  }

  @Test
  void missingSourceFolder() {
    src = tmp.resolve("nowhere");
    String m = fails();
    assertTrue(m.contains("nowhere") && m.contains("not found"), m);
  }

  @Test
  void npzWithWrongKeys() throws IOException {
    src = tmp.resolve("wrong.npz");
    writeNpz(src, "x_train", new int[] {4, 28, 28}, "y_train", new int[] {4, 1});
    String m = fails();
    assertTrue(m.contains("wrong.npz") && m.contains("missing key 'train_images'"), m);
  }

  @Test
  void npzWithWrongImageShape() throws IOException {
    src = tmp.resolve("shape.npz");
    writeNpz(src, "train_images", new int[] {4, 28, 30}, "train_labels", new int[] {4, 1});
    String m = fails();
    assertTrue(m.contains("train_images") && m.contains("[4, 28, 30]"), m);
  }

  @Test
  void anNpzBombIsRefusedBeforeItsArrayIsAllocated() throws IOException {
    src = tmp.resolve("bomb.npz");
    // 100,000 zero images: 78 MB that deflate to about 80 KB
    writeNpz(src, "train_images", new int[] {100_000, 28, 28}, "train_labels", new int[] {4, 1});
    String m = fails();
    assertTrue(m.contains("bomb.npz key 'train_images': expands from"), m);
    assertTrue(m.contains("refusing a decompression bomb"), m);
  }

  @Test
  void npzWithMismatchedLabels() throws IOException {
    src = tmp.resolve("labels.npz");
    writeNpz(src, "train_images", new int[] {4, 28, 28}, "train_labels", new int[] {5, 1});
    String m = fails();
    assertTrue(m.contains("train_labels") && m.contains("[5, 1]"), m);
  }

  @Test
  void duplicatesAcrossSplitsCanBeAnError() {
    cfg = TestData.config(tmp, "data.validation.cross_split_duplicates=error");
    src = TestData.npz(); // the official PneumoniaMNIST has 8 train images also in val
    String m = fails();
    assertTrue(m.contains("duplicate images across splits"), m);
  }

  @Test
  void duplicatesAcrossSplitsCanBeKeptWithAWarning() {
    cfg = TestData.config(tmp, "data.validation.cross_split_duplicates=warn");
    io.cxr.core.WarningRecorder r = new io.cxr.core.WarningRecorder();
    List<String> warned = r.warnings;
    PrepareStage.Result res = PrepareStage.run(cfg, TestData.npz(), tmp.resolve("prepared"), r);
    // nothing dropped: all 4,708 official train images stay, and the duplicates are named
    assertEquals(4708, res.stats().get(Split.TRAIN).count());
    assertEquals(0, res.stats().get(Split.TRAIN).droppedDuplicates());
    assertTrue(warned.stream().anyMatch(w -> w.contains("duplicate")), "warned: " + warned);
    assertTrue(
        res.warnings().stream().anyMatch(w -> w.contains("duplicate")), res.warnings().toString());
  }

  /** A class cxr does not know (COVID/) is named, not silently left out; Mac zip debris is not. */
  @Test
  void anUnknownClassFolderIsNamedInAWarning() throws IOException {
    Path covid = Files.createDirectories(src.resolve("train/COVID"));
    Files.copy(TestData.jpegs("NORMAL", 1).get(0), covid.resolve("c.jpeg"));
    Files.createDirectories(src.resolve("__MACOSX/train"));
    Files.createDirectories(src.resolve("extra"));
    io.cxr.core.WarningRecorder r = new io.cxr.core.WarningRecorder();
    PrepareStage.Result res = PrepareStage.run(cfg, src, tmp.resolve("prepared"), r);
    List<String> ignored = r.warnings.stream().filter(w -> w.contains("ignored folder")).toList();
    assertEquals(2, ignored.size(), r.warnings.toString());
    assertTrue(ignored.get(0).contains("'COVID' (not a class cxr reads"), ignored.get(0));
    assertTrue(ignored.get(1).contains("'extra' (not a split cxr reads"), ignored.get(1));
    assertTrue(res.warnings().containsAll(ignored), "recorded in the manifest too");
  }

  /** One film filed under both classes is flagged with both of its names and labels. */
  @Test
  void anImageUnderBothClassesIsFlagged() throws IOException {
    Path film = TestData.jpegs("PNEUMONIA", 1).get(0);
    Files.copy(film, src.resolve("train/NORMAL/copy-" + film.getFileName()));
    io.cxr.core.WarningRecorder r = new io.cxr.core.WarningRecorder();
    PrepareStage.run(cfg, src, tmp.resolve("prepared"), r);
    List<String> two =
        r.warnings.stream().filter(w -> w.startsWith("one image, two labels")).toList();
    assertEquals(1, two.size(), r.warnings.toString());
    assertTrue(two.get(0).contains("copy-" + film.getFileName()), two.get(0));
    assertTrue(two.get(0).contains("(NORMAL,") && two.get(0).contains("(PNEUMONIA,"), two.get(0));
  }

  @Test
  void tooFewOfAClassIsAnError() {
    cfg = TestData.config(tmp, "data.validation.min_class_fraction=0.45");
    src = TestData.npz();
    String m = fails();
    assertTrue(m.contains("min_class_fraction") && m.contains("NORMAL"), m);
  }

  @Test
  void prepareNeverReplacesAFolderItDidNotCreate() throws IOException {
    Path mine = Files.createDirectories(tmp.resolve("my-data"));
    Files.writeString(mine.resolve("notes.txt"), "keep me");
    CxrException e =
        assertThrows(CxrException.class, () -> PrepareStage.run(cfg, src, mine, Reporter.SILENT));
    assertTrue(
        e.getMessage().startsWith("paths.prepared " + mine + ": holds files"), e.getMessage());
    assertEquals("keep me", Files.readString(mine.resolve("notes.txt")));
    try (var s = Files.list(mine)) {
      assertEquals(1, s.count(), "nothing added or removed");
    }

    Path file = Files.writeString(tmp.resolve("a-file"), "keep me too");
    e = assertThrows(CxrException.class, () -> PrepareStage.run(cfg, src, file, Reporter.SILENT));
    assertTrue(e.getMessage().contains("exists and is not a folder"), e.getMessage());
    assertEquals("keep me too", Files.readString(file));
  }

  @Test
  void prepareReplacesItsOwnEarlierOutputAndFillsAnEmptyFolder() throws IOException {
    Path out = Files.createDirectories(tmp.resolve("empty"));
    PrepareStage.run(cfg, src, out, Reporter.SILENT);
    assertTrue(Files.isRegularFile(out.resolve("manifest.json")));
    // an earlier prepare's file this one does not write (an external set since dropped) goes
    Files.writeString(out.resolve("x_external_old.npy"), "from an earlier run");
    PrepareStage.run(cfg, src, out, Reporter.SILENT);
    assertFalse(
        Files.exists(out.resolve("x_external_old.npy")), "the earlier output was replaced whole");
    // a file of the user's is not deleted with it: refused, named, kept
    Files.writeString(out.resolve("notes.txt"), "mine");
    CxrException e =
        assertThrows(CxrException.class, () -> PrepareStage.run(cfg, src, out, Reporter.SILENT));
    assertTrue(e.getMessage().contains("holds notes.txt, which cxr prepare did not write"));
    assertEquals("mine", Files.readString(out.resolve("notes.txt")));
  }

  @Test
  void anEditedPreparedTensorIsCaughtByTheManifestsHashWhenLoaded() throws IOException {
    Path out = tmp.resolve("prepared-edit");
    PrepareStage.run(cfg, src, out, Reporter.SILENT);
    PreparedDataset.load(out); // intact: loads
    Path x = out.resolve("x_train.npy");
    byte[] bytes = Files.readAllBytes(x);
    bytes[bytes.length - 1] ^= 0x01; // one pixel's last mantissa bit: shape and size unchanged
    Files.write(x, bytes);
    CxrException e = assertThrows(CxrException.class, () -> PreparedDataset.load(out));
    assertTrue(e.getMessage().contains("x_train.npy"), e.getMessage());
    assertTrue(e.getMessage().contains("differs from the manifest"), e.getMessage());
  }

  /**
   * NaN pixels written into a prepared tensor, with the manifest's hash forged to match, are named
   * when the data is loaded: not trained into NaN losses and reported as a divergence.
   */
  @Test
  void nanPixelsInPreparedDataAreNamedWhenLoaded() throws IOException {
    Path out = tmp.resolve("prepared-nan");
    PrepareStage.run(cfg, src, out, Reporter.SILENT);
    Path x = out.resolve("x_val.npy");
    byte[] bytes = Files.readAllBytes(x);
    int image = 32 * 32 * 4; // image 1 starts here, after the header
    java.nio.ByteBuffer.wrap(bytes, bytes.length - 2 * image + 40, 4)
        .order(java.nio.ByteOrder.LITTLE_ENDIAN)
        .putFloat(Float.NaN);
    Files.write(x, bytes);
    Path manifest = out.resolve("manifest.json");
    String m = Files.readString(manifest);
    String old =
        io.cxr.core.io.Json.JSON.readTree(m).path("splits").path("val").path("x_sha256").asText();
    Files.writeString(manifest, m.replace(old, io.cxr.core.io.Hashing.sha256(bytes)));
    CxrException e = assertThrows(CxrException.class, () -> PreparedDataset.load(out));
    long n = bytes.length / image; // images (the header is shorter than one image)
    assertTrue(
        e.getMessage().contains("x_val.npy: image " + (n - 2) + " holds NaN or infinite pixel"),
        e.getMessage());
  }

  static void writeNpz(Path file, String k1, int[] s1, String k2, int[] s2) throws IOException {
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
      for (Object[] e : new Object[][] {{k1, s1}, {k2, s2}}) {
        int[] shape = (int[]) e[1];
        int n = 1;
        for (int d : shape) {
          n *= d;
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        Npy.writeHeader(b, "|u1", shape);
        b.write(new byte[n]);
        zip.putNextEntry(new ZipEntry(e[0] + ".npy"));
        zip.write(b.toByteArray());
        zip.closeEntry();
      }
    }
  }
}
