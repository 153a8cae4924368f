package io.cxr.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
    assertEquals("short.npy: truncated (header says shape [10] of |u1)", e.getMessage());
  }

  @Test
  void notAnArrayIsAnError() {
    assertThrows(
        CxrException.class,
        () -> Npy.read(new ByteArrayInputStream("hello world".getBytes()), "x"));
  }
}
