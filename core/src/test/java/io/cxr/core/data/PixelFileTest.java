package io.cxr.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.TestData;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.stage.PrepareStage;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The prepared splits are read from their files a range at a time (not held in memory): the same
 * floats as reading the whole .npy, from the file that was hashed when loaded.
 */
class PixelFileTest {
  static final int SIZE = 32;
  @TempDir Path tmp;
  Path src;
  Path out;

  @BeforeEach
  void prepareRealImages() throws IOException {
    src = TestData.smallKermany(tmp, 12);
    out = tmp.resolve("prepared");
    PrepareStage.run(config("seed=42"), src, out, Reporter.SILENT);
  }

  CxrConfig config(String seed) {
    return TestData.config(
        tmp,
        seed,
        "data.folder_image_size=" + SIZE,
        "data.min_split_images=1",
        "data.val_fraction=0.25",
        "data.test_fraction=0.25");
  }

  static float[] wholeFile(Path npy) throws IOException {
    try (InputStream in = Files.newInputStream(npy)) {
      return Npy.read(in, npy.toString()).data();
    }
  }

  @Test
  void everyRangeReadsTheFloatsOfTheWholeNpy() throws IOException {
    PreparedDataset data = PreparedDataset.load(out);
    for (Split s : Split.values()) {
      PreparedDataset.Images im = data.split(s);
      assertInstanceOf(PixelFile.class, im.source(), s + " is read from its file");
      float[] expected = wholeFile(out.resolve("x_" + s.key() + ".npy"));
      assertTrue(expected.length > 0);
      assertArrayEquals(expected, im.x(), s.key());
      int px = SIZE * SIZE;
      for (int i = 0; i < im.n(); i++) {
        assertArrayEquals(Arrays.copyOfRange(expected, i * px, (i + 1) * px), im.image(i));
      }
      // a range into the middle of a larger array, as the scorer and the trainer read
      int n = im.n() - 1;
      float[] buf = new float[(n + 2) * px];
      im.source().read(1, n, buf, px);
      assertArrayEquals(
          Arrays.copyOfRange(expected, px, (n + 1) * px),
          Arrays.copyOfRange(buf, px, (n + 1) * px));
      assertTrue(buf[0] == 0 && buf[buf.length - 1] == 0, "nothing written outside the range");
    }
  }

  @Test
  void valMergedIntoTrainReadsTrainThenValAcrossTheBoundary() {
    PreparedDataset data = PreparedDataset.load(out);
    PreparedDataset.Images tr = data.split(Split.TRAIN);
    PreparedDataset.Images va = data.split(Split.VAL);
    PreparedDataset.Images merged = data.withValMergedIntoTrain().split(Split.TRAIN);
    int px = SIZE * SIZE;
    float[] expected = new float[(tr.n() + va.n()) * px];
    System.arraycopy(tr.x(), 0, expected, 0, tr.n() * px);
    System.arraycopy(va.x(), 0, expected, tr.n() * px, va.n() * px);
    assertArrayEquals(expected, merged.x());
    int[] labels = Arrays.copyOf(tr.y(), tr.n() + va.n());
    System.arraycopy(va.y(), 0, labels, tr.n(), va.n());
    assertArrayEquals(labels, merged.y());
    // ranges that end before, start after and straddle the boundary
    for (int[] r : new int[][] {{0, tr.n()}, {tr.n(), va.n()}, {tr.n() - 2, 4}, {1, tr.n()}}) {
      float[] buf = new float[r[1] * px];
      merged.source().read(r[0], r[1], buf, 0);
      assertArrayEquals(
          Arrays.copyOfRange(expected, r[0] * px, (r[0] + r[1]) * px), buf, Arrays.toString(r));
    }
    assertArrayEquals(tr.x(), data.split(Split.TRAIN).x(), "the data set itself is unchanged");
  }

  @Test
  void aLaterPrepareDoesNotChangeWhatALoadedDatasetReads() throws IOException {
    PreparedDataset data = PreparedDataset.load(out);
    float[] before = wholeFile(out.resolve("x_train.npy"));
    // another seed carves other patients into train: prepare replaces the folder whole
    PrepareStage.run(config("seed=7"), src, out, Reporter.SILENT);
    float[] after = wholeFile(out.resolve("x_train.npy"));
    assertFalse(Arrays.equals(before, after), "the new prepare wrote other images");
    assertArrayEquals(before, data.split(Split.TRAIN).x(), "the loaded data set kept its file");
  }

  @Test
  void aFileTruncatedAfterLoadingIsNamedWhenRead() throws IOException {
    PreparedDataset data = PreparedDataset.load(out);
    Path x = out.resolve("x_train.npy");
    try (RandomAccessFile f = new RandomAccessFile(x.toFile(), "rw")) {
      f.setLength(f.length() - 4L * SIZE * SIZE);
    }
    PreparedDataset.Images train = data.split(Split.TRAIN);
    train.image(0); // still there
    CxrException e = assertThrows(CxrException.class, () -> train.image(train.n() - 1));
    assertTrue(e.getMessage().contains("x_train.npy"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    assertThrows(IndexOutOfBoundsException.class, () -> train.image(train.n()));
    assertThrows(IndexOutOfBoundsException.class, () -> train.image(-1));
  }

  @Test
  void aTruncatedFileIsRefusedWhenLoaded() throws IOException {
    Path x = out.resolve("x_val.npy");
    try (RandomAccessFile f = new RandomAccessFile(x.toFile(), "rw")) {
      f.setLength(f.length() - 8);
    }
    CxrException e = assertThrows(CxrException.class, () -> PreparedDataset.load(out));
    assertTrue(e.getMessage().contains("x_val.npy"), e.getMessage());
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }
}
