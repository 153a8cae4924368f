package io.cxr.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Known test vectors (FIPS 180-2 "abc"; RFC 1321 "abc") for every way cxr hashes. */
class HashingTest {
  private static final String ABC_SHA256 =
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

  @TempDir Path tmp;

  @Test
  void bytesTextAndFilesHashToTheStandardVectors() throws Exception {
    assertEquals(ABC_SHA256, Hashing.sha256("abc"));
    assertEquals(ABC_SHA256, Hashing.sha256("abc".getBytes()));
    Path f = Files.writeString(tmp.resolve("abc.txt"), "abc");
    assertEquals(ABC_SHA256, Hashing.sha256(f));
    assertEquals("900150983cd24fb0d6963f7d28e17f72", Hashing.file(f, "MD5"));
  }

  @Test
  void aFileLongerThanOneReadBufferHashesWhole() throws Exception {
    byte[] big = new byte[(1 << 16) * 3 + 7];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) i;
    }
    Path f = Files.write(tmp.resolve("big.bin"), big);
    assertEquals(Hashing.sha256(big), Hashing.sha256(f));
  }
}
