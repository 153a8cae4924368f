package io.cxr.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.CxrException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class NpyTest {
  @Test
  void floatArrayRoundTrips() throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    Npy.writeHeader(b, "<f4", 2, 1, 2, 2);
    assertEquals(0, b.size() % 64, "header padded to 64 bytes as numpy does");
    ByteBuffer data = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 8; i++) {
      data.putFloat(i / 8f);
    }
    b.write(data.array());
    Npy.Array a = Npy.read(new ByteArrayInputStream(b.toByteArray()), "t");
    assertArrayEquals(new int[] {2, 1, 2, 2}, a.shape());
    assertEquals(0.875f, a.data()[7]);
  }

  @Test
  void truncatedArrayIsAnError() throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    Npy.writeHeader(b, "|u1", 10);
    b.write(new byte[5]);
    CxrException e =
        assertThrows(
            CxrException.class,
            () -> Npy.read(new ByteArrayInputStream(b.toByteArray()), "short.npy"));
    assertEquals(
        "short.npy: truncated (header says shape [10] of |u1, 10 bytes; found 5)", e.getMessage());
  }

  @Test
  void everyDtypeReadsItsValuesInItsByteOrder() throws Exception {
    assertArrayEquals(
        new float[] {65535f, 1f},
        values("<u2", ByteOrder.LITTLE_ENDIAN, 2, b -> b.putShort((short) -1).putShort((short) 1)));
    assertArrayEquals(
        new float[] {-1f, 2f},
        values("<i2", ByteOrder.LITTLE_ENDIAN, 2, b -> b.putShort((short) -1).putShort((short) 2)));
    assertArrayEquals(
        new float[] {-3f, 70000f},
        values(">i4", ByteOrder.BIG_ENDIAN, 4, b -> b.putInt(-3).putInt(70000)));
    assertArrayEquals(
        new float[] {4294967295f, 5f},
        values("<u4", ByteOrder.LITTLE_ENDIAN, 4, b -> b.putInt(-1).putInt(5)));
    assertArrayEquals(
        new float[] {-7f, 1e12f},
        values("<i8", ByteOrder.LITTLE_ENDIAN, 8, b -> b.putLong(-7).putLong(1_000_000_000_000L)));
    assertArrayEquals(
        new float[] {0.25f, -2.5f},
        values(">f8", ByteOrder.BIG_ENDIAN, 8, b -> b.putDouble(0.25).putDouble(-2.5)));
    assertArrayEquals(
        new float[] {-1f, 127f},
        values("|i1", ByteOrder.LITTLE_ENDIAN, 1, b -> b.put((byte) -1).put((byte) 127)));
    assertArrayEquals(
        new float[] {255f, 1f},
        values("|u1", ByteOrder.LITTLE_ENDIAN, 1, b -> b.put((byte) -1).put((byte) 1)));
  }

  @Test
  void theHeaderLengthIsWhatWriteHeaderWrites() throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    Npy.writeHeader(b, "<f4", 3, 28, 28);
    assertEquals(b.size(), Npy.headerLength("<f4", 3, 28, 28));
    assertEquals(128, Npy.header("<f4", 100, 3).length, "padded to at least 100, in 64s");
    Npy.Array a =
        Npy.read(new ByteArrayInputStream(join(Npy.header("|u1", 300, 2), new byte[] {7, 9})), "x");
    assertEquals("|u1[2]", a.toString());
    assertEquals(2, a.size());
  }

  private interface Fill {
    void into(ByteBuffer b);
  }

  private static float[] values(String dtype, ByteOrder order, int width, Fill fill)
      throws Exception {
    ByteBuffer data = ByteBuffer.allocate(2 * width).order(order);
    fill.into(data);
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    Npy.writeHeader(b, dtype, 2);
    b.write(data.array());
    return Npy.read(new ByteArrayInputStream(b.toByteArray()), dtype).data();
  }

  private static byte[] join(byte[] a, byte[] b) {
    byte[] r = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  // found by fuzzing (NpyFuzzTest): each threw another exception or allocated the declared size

  @Test
  void aHugeDeclaredShapeInAShortFileCostsOnlyWhatTheFileHolds() throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    Npy.writeHeader(b, "|u1", 10_000, 10_000); // 100 MB declared, 3 bytes there
    b.write(new byte[3]);
    long before = allocated();
    CxrException e = assertThrows(CxrException.class, () -> read(b.toByteArray()));
    assertEquals(
        "bomb.npy: truncated (header says shape [10000, 10000] of |u1, 100000000 bytes; found 3)",
        e.getMessage());
    assertTrue(
        allocated() - before < 64L << 20,
        "no 100 MB buffer (and its 400 MB of floats) for a 131-byte file");
  }

  @Test
  void negativeAndOverflowingDimensionsAreRefused() throws Exception {
    assertEquals(
        "bomb.npy: negative dimension in shape [3, -2] of a .npy header",
        assertThrows(CxrException.class, () -> read(header("|u1", "(3, -2)"))).getMessage());
    assertEquals(
        "bomb.npy: shape [65536, 65536] has more than 2^31 elements",
        assertThrows(CxrException.class, () -> read(header("|u1", "(65536, 65536)"))).getMessage());
  }

  @Test
  void truncatedHeadersAndHeaderLengthsBeyondTheFileAreOneLineErrors() {
    byte[] magic = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, -1, -1, -1, -1};
    assertEquals(
        "bomb.npy: .npy header of 4294967295 bytes (expected at most 65536)",
        assertThrows(CxrException.class, () -> read(magic)).getMessage());
    assertEquals(
        "bomb.npy: not a .npy array (truncated header)",
        assertThrows(CxrException.class, () -> read(java.util.Arrays.copyOf(magic, 7)))
            .getMessage());
  }

  @Test
  void aMalformedDtypeIsRefused() {
    assertEquals(
        "bomb.npy: unsupported dtype '<' (expected an integer, bool or float array)",
        assertThrows(CxrException.class, () -> read(header("<", "(1,)"))).getMessage());
  }

  private static byte[] header(String descr, String shape) {
    return header(1, descr, shape, 0);
  }

  private static Npy.Array read(byte[] bytes) throws java.io.IOException {
    return Npy.read(new ByteArrayInputStream(bytes), "bomb.npy");
  }

  private static long allocated() {
    return ((com.sun.management.ThreadMXBean)
            java.lang.management.ManagementFactory.getThreadMXBean())
        .getCurrentThreadAllocatedBytes();
  }

  @Test
  void theTruncationMessageCountsBytesOfTheDtypesWidth() throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    Npy.writeHeader(b, "<f4", 10);
    b.write(new byte[5]);
    assertEquals(
        "bomb.npy: truncated (header says shape [10] of <f4, 40 bytes; found 5)",
        assertThrows(CxrException.class, () -> read(b.toByteArray())).getMessage());
  }

  @Test
  void anArrayBeyondTheHeapIsRefusedBySizeBeforeAnyRead() {
    // 2^30 doubles: 8 GiB of bytes and 4 GiB of floats, declared by a 70-byte file
    String msg =
        assertThrows(CxrException.class, () -> read(header("<f8", "(1073741824,)"))).getMessage();
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile(
                "bomb\\.npy: array \\[1073741824\\] of <f8 too large \\(12288 MiB; the heap has"
                    + " (\\d+) MiB free: raise -Xmx or use smaller images\\)")
            .matcher(msg);
    assertTrue(m.matches(), msg);
    Runtime rt = Runtime.getRuntime();
    long free = Long.parseLong(m.group(1));
    assertTrue(free <= rt.maxMemory() >> 20, "free " + free + " MiB is at most the heap");
    assertTrue(
        free >= ((rt.maxMemory() - rt.totalMemory()) >> 20) - 1,
        "free " + free + " MiB is at least what the heap has not yet taken");
  }

  @Test
  void aShapeOfExactly2To31MinusOneElementsIsCountedNotRefused() {
    assertEquals(
        Integer.MAX_VALUE, Npy.elements(new int[] {Integer.MAX_VALUE, 1}, "x"), "the bound itself");
    assertEquals(0, Npy.elements(new int[] {0, Integer.MAX_VALUE}, "x"));
    assertEquals(1, Npy.elements(new int[0], "x"), "a scalar");
  }

  @Test
  void aScalarHasAnEmptyShapeAndOneValue() throws Exception {
    Npy.Array a = read(join(header("<i2", "()"), new byte[] {7, 0}));
    assertArrayEquals(new int[0], a.shape());
    assertArrayEquals(new float[] {7}, a.data());
  }

  @Test
  void aOneDimensionalShapeWithItsTrailingCommaReads() throws Exception {
    Npy.Array a = read(join(header("|u1", "(3,)"), new byte[] {1, 0, 1}));
    assertArrayEquals(new int[] {3}, a.shape());
    assertArrayEquals(new float[] {1, 0, 1}, a.data());
  }

  @Test
  void versionTwoAndThreeHeadersReadAndTheirLengthCountsTheLongerPrefix() throws Exception {
    for (int version : new int[] {1, 2, 3}) {
      byte[] h = header(version, "<i2", "(2,)", 0);
      byte[] file = join(h, new byte[] {5, 0, -1, -1});
      Npy.Header parsed =
          Npy.readHeader(new java.io.DataInputStream(new ByteArrayInputStream(file)), "v.npy");
      assertEquals(h.length, parsed.length(), "version " + version + ": magic, length and dict");
      assertArrayEquals(new float[] {5, -1}, read(file).data(), "version " + version);
    }
  }

  @Test
  void aHeaderOfExactlyTheLargestAllowedLengthReads() throws Exception {
    byte[] h = header(2, "|u1", "(1,)", 65536);
    assertEquals(12 + 65536, h.length);
    assertArrayEquals(new float[] {9}, read(join(h, new byte[] {9})).data());
  }

  @Test
  void aMalformedHeaderIsQuotedWholeUpTo200CharactersAndCutAfter() {
    String of200 = "x".repeat(200);
    assertEquals(
        "bomb.npy: malformed .npy header " + of200,
        assertThrows(CxrException.class, () -> read(raw(of200))).getMessage());
    assertEquals(
        "bomb.npy: malformed .npy header " + of200 + "...",
        assertThrows(CxrException.class, () -> read(raw(of200 + "y"))).getMessage());
  }

  /** A version-1 file whose header is {@code text} as it is. */
  private static byte[] raw(String text) {
    return prefixed(1, text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
  }

  /**
   * A header of {@code version} (1: 2-byte length, 2 and 3: 4-byte length), its dictionary padded
   * with spaces to {@code length} bytes (0: unpadded), as numpy writes it.
   */
  private static byte[] header(int version, String descr, String shape, int length) {
    String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    if (length > 0) {
      dict = dict + " ".repeat(length - dict.length() - 1) + "\n";
    }
    return prefixed(version, dict.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
  }

  /** Magic, version and the header length (2 bytes in version 1, else 4), then the header. */
  private static byte[] prefixed(int version, byte[] d) {
    int prefix = version == 1 ? 10 : 12;
    ByteBuffer b = ByteBuffer.allocate(prefix + d.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) version, 0});
    if (version == 1) {
      b.putShort((short) d.length);
    } else {
      b.putInt(d.length);
    }
    b.put(d);
    return b.array();
  }

  @Test
  void aStreamOfKnownLengthDecodesChunkByChunkToTheSameValues() throws Exception {
    int n = 300_000; // 1.2 MB of floats: more than one 1 MiB chunk
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    Npy.writeHeader(b, "<f4", n);
    ByteBuffer data = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      data.putFloat(i * 0.5f);
    }
    b.write(data.array());
    b.write(new byte[] {1, 2, 3}); // trailing bytes are not the array's
    byte[] file = b.toByteArray();
    Npy.Array whole = Npy.read(new ByteArrayInputStream(file), "x.npy");
    Npy.Array streamed = Npy.read(new ByteArrayInputStream(file), "x.npy", file.length);
    assertArrayEquals(whole.data(), streamed.data());
    assertEquals(149_999.5f, streamed.data()[n - 1]);
    assertArrayEquals(new int[] {n}, streamed.shape());
  }

  @Test
  void aStreamOfKnownLengthTooShortForItsShapeIsRefusedBeforeAllocating() throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    Npy.writeHeader(b, "<f4", 10_000, 10_000); // 400 MB declared
    b.write(new byte[8]);
    byte[] file = b.toByteArray();
    long before = allocated();
    CxrException e =
        assertThrows(
            CxrException.class,
            () -> Npy.read(new ByteArrayInputStream(file), "bomb.npy", file.length));
    assertEquals(
        "bomb.npy: truncated (header says shape [10000, 10000] of <f4, 400000000 bytes; found 8)",
        e.getMessage());
    assertTrue(allocated() - before < 16L << 20, "no 400 MB of floats for an 8-byte array");
    // a length that overstates the stream: the missing bytes are found while reading
    ByteArrayOutputStream c = new ByteArrayOutputStream();
    Npy.writeHeader(c, "<i2", 4);
    c.write(new byte[] {1, 0, 2, 0});
    byte[] shortFile = c.toByteArray();
    assertEquals(
        "s.npy: truncated (header says shape [4] of <i2, 8 bytes; found 4)",
        assertThrows(
                CxrException.class,
                () -> Npy.read(new ByteArrayInputStream(shortFile), "s.npy", shortFile.length + 4L))
            .getMessage());
  }

  @Test
  void notAnArrayIsAnError() {
    assertThrows(
        CxrException.class,
        () -> Npy.read(new ByteArrayInputStream("hello world".getBytes()), "x"));
  }
}
