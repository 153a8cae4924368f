package io.cxr.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.CxrException;
import io.cxr.core.TestData;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The decoder on real X-rays: scale choice, agreement of its two paths, in-place fills, errors. */
class ImageDecoderTest {
  @Test
  void turboJpegIsLoadedWhereCiRuns() {
    // .ci/run installs libturbojpeg0; elsewhere the OpenCV path is a legitimate fallback
    if ("true".equals(System.getenv("CI"))) {
      assertTrue(TurboJpeg.AVAILABLE, "libturbojpeg.so.0 not loaded: " + TurboJpeg.PROBLEM);
    }
    // both descriptions mention libjpeg-turbo and OpenCV: what they start with tells them apart
    assertEquals(TurboJpeg.AVAILABLE, ImageDecoder.fastJpeg());
    String backend = ImageDecoder.backend();
    assertTrue(
        TurboJpeg.AVAILABLE
            ? backend.matches("libjpeg-turbo \\(system libturbojpeg\\.so\\.0[.0-9]*, SIMD\\) .*")
            : backend.startsWith("OpenCV ") && backend.endsWith(TurboJpeg.PROBLEM),
        backend);
  }

  @Test
  void aTruncatedJpegIsRefusedAndACompleteOneWithPaddingIsNot() throws Exception {
    byte[] jpeg = Files.readAllBytes(TestData.jpegs("NORMAL", 1).get(0));
    byte[] half = java.util.Arrays.copyOf(jpeg, jpeg.length / 2);
    io.cxr.core.CxrException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            io.cxr.core.CxrException.class, () -> ImageDecoder.decode(half, 64, "half.jpeg"));
    assertEquals(
        "image half.jpeg: truncated JPEG (it stops before its end-of-image marker), expected a"
            + " complete file",
        e.getMessage());
    assertTrue(ImageDecoder.truncatedJpeg(half, half.length));
    // the complete file, also with zero padding after its end marker, decodes
    assertEquals(64 * 64, ImageDecoder.decode(jpeg, 64, "whole.jpeg").length);
    byte[] padded = java.util.Arrays.copyOf(jpeg, jpeg.length + 100);
    assertFalse(ImageDecoder.truncatedJpeg(padded, padded.length));
    // the marker just inside the window counts; one byte further out it does not
    byte[] late = new byte[200];
    late[0] = (byte) 0xFF;
    late[1] = (byte) 0xD8;
    late[200 - ImageDecoder.EOI_WINDOW] = (byte) 0xFF;
    late[201 - ImageDecoder.EOI_WINDOW] = (byte) 0xD9;
    java.util.Arrays.fill(late, 202 - ImageDecoder.EOI_WINDOW, 200, (byte) 1);
    assertFalse(ImageDecoder.truncatedJpeg(late, late.length));
    late[200 - ImageDecoder.EOI_WINDOW] = 1;
    late[199 - ImageDecoder.EOI_WINDOW] = (byte) 0xFF;
    late[200 - ImageDecoder.EOI_WINDOW] = (byte) 0xD9;
    assertTrue(ImageDecoder.truncatedJpeg(late, late.length));
    // not a JPEG: left to the decoders
    assertFalse(ImageDecoder.truncatedJpeg("not a jpeg".getBytes(), 10));
  }

  @Test
  void anImageDeclaringTooManyPixelsIsRefusedFromItsHeader() throws Exception {
    byte[] png = png(300, 200);
    assertArrayEquals(new long[] {300, 200}, ImageDecoder.headerSize(png, png.length));
    // the same file claiming 32000x32000 (1 GP: a GB of grey levels once decoded)
    java.nio.ByteBuffer.wrap(png, 16, 8).putInt(32000).putInt(32000);
    io.cxr.core.CxrException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            io.cxr.core.CxrException.class, () -> ImageDecoder.decode(png, 64, "bomb.png"));
    assertEquals(
        "image bomb.png: 32000x32000 pixels (expected at most 64 megapixels), refused before"
            + " decoding",
        e.getMessage());
    // exactly at the bound (8000x8000 = 64 MP) the header is let through to the decoder, which
    // finds the edited file corrupt: another refusal than the bound's
    java.nio.ByteBuffer.wrap(png, 16, 8).putInt(8000).putInt(8000);
    assertArrayEquals(new long[] {8000, 8000}, ImageDecoder.headerSize(png, png.length));
    io.cxr.core.CxrException at =
        org.junit.jupiter.api.Assertions.assertThrows(
            io.cxr.core.CxrException.class, () -> ImageDecoder.decode(png, 64, "edge.png"));
    assertFalse(at.getMessage().contains("megapixels"), at.getMessage());
    byte[] jpeg = Files.readAllBytes(TestData.jpegs("NORMAL", 1).get(0));
    assertArrayEquals(new long[] {224, 224}, ImageDecoder.headerSize(jpeg, jpeg.length));
    assertNull(ImageDecoder.headerSize("not an image at all, not at all".getBytes(), 31));
  }

  @Test
  void readsTheFrameSizeAndPicksTheSmallestSufficientScale() throws Exception {
    byte[] jpeg = Files.readAllBytes(TestData.jpegs("NORMAL", 1).get(0));
    assertArrayEquals(new int[] {224, 224}, ImageDecoder.jpegSize(jpeg, jpeg.length));
    assertNull(ImageDecoder.jpegSize("not a jpeg".getBytes(), 10));
    byte[] png = png(300, 200);
    assertNull(ImageDecoder.jpegSize(png, png.length));
    assertEquals(5, TurboJpeg.scaleNum(224, 224, 128)); // 140 >= 128 > 112
    assertEquals(3, TurboJpeg.scaleNum(224, 224, 64)); // 84 >= 64 > 56
    assertEquals(1, TurboJpeg.scaleNum(2000, 1700, 128)); // 250x213
    assertEquals(2, TurboJpeg.scaleNum(2000, 1700, 256)); // 500x425 (1/8 gives 213 < 256)
    assertEquals(8, TurboJpeg.scaleNum(100, 100, 128)); // never upscale in the DCT
    assertEquals(2, ImageDecoder.reduction(jpeg, jpeg.length, 64)); // OpenCV path: 112
    assertEquals(1, ImageDecoder.reduction(jpeg, jpeg.length, 128));
  }

  @Test
  void reducedScaleDecodeMatchesAFullDecodeClosely() throws Exception {
    List<Path> files = TestData.jpegs("PNEUMONIA", 8);
    for (int size : new int[] {64, 128}) {
      try (ImageDecoder fast = new ImageDecoder(size);
          ImageDecoder full = new ImageDecoder(size, false, false)) {
        for (Path f : files) {
          float[] a = new float[size * size];
          float[] b = new float[size * size];
          fast.decodeFile(f, a, 0);
          full.decodeFile(f, b, 0);
          double diff = 0;
          for (int i = 0; i < a.length; i++) {
            assertTrue(a[i] >= 0f && a[i] <= 1f, "value " + a[i]);
            diff += Math.abs(a[i] - b[i]);
          }
          // a different resampling of the same picture: a few grey levels apart on average
          assertTrue(
              diff / a.length < 0.02, f + " at " + size + ": mean |diff| " + diff / a.length);
          assertEquals(
              TurboJpeg.AVAILABLE ? (size == 64 ? 3 : 5) : (size == 64 ? 4 : 8),
              fast.lastScaleEighths());
        }
      }
    }
  }

  @Test
  void aCropCutsTheSameShareOffEachSideBeforeResizing() throws Exception {
    List<Path> files = TestData.jpegs("PNEUMONIA", 4);
    int size = 64;
    double crop = 0.1;
    try (ImageDecoder whole = new ImageDecoder(224, 0, false, false);
        ImageDecoder exact = new ImageDecoder(size, crop, false, false);
        ImageDecoder fast = new ImageDecoder(size, crop)) {
      for (Path f : files) {
        // the reference: the full 224 px picture, 22 px cut off each side, resized 180 -> 64
        float[] full = new float[224 * 224];
        whole.decodeFile(f, full, 0);
        int cut = 22;
        int side = 224 - 2 * cut;
        float[] box = new float[side * side];
        for (int y = 0; y < side; y++) {
          for (int x = 0; x < side; x++) {
            box[y * side + x] = Math.round(full[(y + cut) * 224 + x + cut] * 255f);
          }
        }
        float[] expected = ImageDecoder.resizeGray(box, side, size);
        float[] a = new float[size * size];
        exact.decodeFile(f, a, 0);
        assertArrayEquals(expected, a, 1.5f / 255, f.toString());
        // the reduced-scale path decodes only what the crop needs (3/8 = 84 px, cut to 68)
        float[] b = new float[size * size];
        fast.decodeFile(f, b, 0);
        double diff = 0;
        for (int i = 0; i < b.length; i++) {
          diff += Math.abs(b[i] - expected[i]);
        }
        assertTrue(diff / b.length < 0.02, f + ": mean |diff| " + diff / b.length);
        assertEquals(TurboJpeg.AVAILABLE ? 3 : 4, fast.lastScaleEighths());
        // and it is not the uncropped picture
        float[] uncropped = ImageDecoder.decode(f, size);
        double off = 0;
        for (int i = 0; i < b.length; i++) {
          off += Math.abs(uncropped[i] - b[i]);
        }
        assertTrue(off / b.length > 0.03, f + ": the crop changed little: " + off / b.length);
      }
    }
    assertThrows(IllegalArgumentException.class, () -> new ImageDecoder(size, 0.26));
    assertThrows(IllegalArgumentException.class, () -> new ImageDecoder(size, -0.01));
  }

  @Test
  void fillsABatchTensorInPlaceWithTheSameValues() throws Exception {
    List<Path> files = TestData.jpegs("NORMAL", 3);
    int size = 64;
    INDArray batch = Nd4j.zeros(DataType.FLOAT, files.size(), 1, size, size);
    FloatPointer data = (FloatPointer) batch.data().addressPointer();
    try (ImageDecoder dec = new ImageDecoder(size)) {
      for (int i = 0; i < files.size(); i++) {
        byte[] b = Files.readAllBytes(files.get(i));
        dec.decode(b, b.length, files.get(i).toString(), data, (long) i * size * size);
      }
    }
    for (int i = 0; i < files.size(); i++) {
      float[] expected = ImageDecoder.decode(files.get(i), size);
      assertArrayEquals(
          expected,
          batch.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i)).dup().data().asFloat(),
          0f);
    }
  }

  @Test
  void aBadFileAfterAGoodOneIsReportedNotAnsweredWithTheLastImage() throws Exception {
    byte[] good = Files.readAllBytes(TestData.jpegs("NORMAL", 1).get(0));
    byte[] bad = good.clone();
    for (int i = 2; i < 400; i++) {
      bad[i] = (byte) (i * 31);
    }
    try (ImageDecoder dec = new ImageDecoder(64)) {
      float[] out = new float[64 * 64];
      dec.decode(good, good.length, "good.jpeg", out, 0);
      CxrException e =
          assertThrows(CxrException.class, () -> dec.decode(bad, bad.length, "bad.jpeg", out, 0));
      assertTrue(e.getMessage().contains("bad.jpeg") && e.getMessage().contains("cannot decode"));
      byte[] text = "hello".getBytes();
      assertThrows(CxrException.class, () -> dec.decode(text, text.length, "t.jpeg", out, 0));
    }
  }

  /**
   * A JPEG tagged "rotate 90" (EXIF orientation 6) decodes to the pixels as stored with either
   * decoder: libjpeg-turbo never reads the tag, and OpenCV is told to ignore it.
   */
  @Test
  void exifOrientationIsIgnoredAlikeByBothDecoders() throws Exception {
    byte[] plain = Files.readAllBytes(TestData.jpegs("PNEUMONIA", 1).get(0));
    byte[] exif = {
      (byte) 0xFF,
      (byte) 0xE1,
      0,
      34,
      'E',
      'x',
      'i',
      'f',
      0,
      0,
      'I',
      'I',
      42,
      0,
      8,
      0,
      0,
      0,
      1,
      0,
      0x12,
      0x01,
      3,
      0,
      1,
      0,
      0,
      0,
      6,
      0,
      0,
      0,
      0,
      0,
      0,
      0
    };
    byte[] tagged = new byte[plain.length + exif.length];
    System.arraycopy(plain, 0, tagged, 0, 2); // SOI, then the EXIF segment, then the rest
    System.arraycopy(exif, 0, tagged, 2, exif.length);
    System.arraycopy(plain, 2, tagged, 2 + exif.length, plain.length - 2);
    java.util.List<io.cxr.core.config.DecoderChoice> decoders =
        TurboJpeg.AVAILABLE
            ? java.util.List.of(
                io.cxr.core.config.DecoderChoice.OPENCV, io.cxr.core.config.DecoderChoice.TURBOJPEG)
            : java.util.List.of(io.cxr.core.config.DecoderChoice.OPENCV);
    try {
      for (var d : decoders) {
        ImageDecoder.use(d);
        float[] a = ImageDecoder.decode(plain, 64, "plain.jpeg");
        org.junit.jupiter.api.Assertions.assertArrayEquals(
            a, ImageDecoder.decode(tagged, 64, "tagged.jpeg"), d + ": as stored");
      }
    } finally {
      ImageDecoder.use(io.cxr.core.config.DecoderChoice.AUTO);
    }
  }

  @Test
  void decodesPngThroughOpenCv() throws Exception {
    byte[] png = png(300, 200);
    float[] out = ImageDecoder.decode(png, 64, "x.png");
    assertEquals(64 * 64, out.length);
    assertEquals(200 / 255f, out[64 * 32 + 32], 1e-3); // a flat grey picture stays that grey
  }

  private static byte[] png(int w, int h) throws Exception {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.getRaster().setSample(x, y, 0, 200);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }

  @Test
  void imagesTooSmallToBeXraysAreRefusedNamingTheirSize() throws Exception {
    for (int[] wh : new int[][] {{1, 1}, {15, 300}, {300, 3}}) {
      for (String format : List.of("jpeg", "png")) {
        BufferedImage img = new BufferedImage(wh[0], wh[1], BufferedImage.TYPE_BYTE_GRAY);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, format, out);
        CxrException e =
            assertThrows(
                CxrException.class,
                () -> ImageDecoder.decode(out.toByteArray(), 64, "tiny." + format));
        assertTrue(
            e.getMessage()
                .contains(
                    "tiny."
                        + format
                        + ": "
                        + wh[0]
                        + "x"
                        + wh[1]
                        + " pixels (expected at least 16x16"),
            e.getMessage());
      }
    }
    // the smallest side allowed decodes
    BufferedImage ok = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(ok, "png", out);
    assertEquals(64 * 64, ImageDecoder.decode(out.toByteArray(), 64, "ok.png").length);
  }
}
