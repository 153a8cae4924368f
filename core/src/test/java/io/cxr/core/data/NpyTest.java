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
    String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    byte[] d = dict.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    ByteBuffer b = ByteBuffer.allocate(10 + d.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    b.putShort((short) d.length);
    b.put(d);
    return b.array();
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
  void notAnArrayIsAnError() {
    assertThrows(
        CxrException.class,
        () -> Npy.read(new ByteArrayInputStream("hello world".getBytes()), "x"));
  }
}
