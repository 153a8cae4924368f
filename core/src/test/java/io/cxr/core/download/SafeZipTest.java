package io.cxr.core.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.CxrException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An archive that expands far beyond its size is refused, checked and extracted alike. */
class SafeZipTest {
  @TempDir Path tmp;

  private static Path zipOfZeros(Path file, long bytes) throws Exception {
    try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(file))) {
      z.putNextEntry(new ZipEntry("kermany/train/NORMAL/zeros.jpeg"));
      byte[] block = new byte[1 << 20];
      for (long left = bytes; left > 0; left -= block.length) {
        z.write(block, 0, (int) Math.min(block.length, left));
      }
      z.closeEntry();
    }
    return file;
  }

  @Test
  void aDecompressionBombIsRefusedAndNothingIsLeftExtracted() throws Exception {
    Path bomb = zipOfZeros(tmp.resolve("bomb.zip"), SafeZip.EXPANSION_FLOOR + (1 << 20));
    assertTrue(Files.size(bomb) * SafeZip.MAX_EXPANSION < SafeZip.EXPANSION_FLOOR);
    CxrException v = assertThrows(CxrException.class, () -> SafeZip.verify(bomb));
    assertTrue(v.getMessage().startsWith("archive bomb.zip: expands beyond "), v.getMessage());
    assertTrue(v.getMessage().contains("refusing a decompression bomb"), v.getMessage());
    Path target = tmp.resolve("out");
    CxrException x = assertThrows(CxrException.class, () -> SafeZip.extract(bomb, target));
    assertEquals(v.getMessage(), x.getMessage());
    assertFalse(Files.exists(target), "nothing published");
    try (var s = Files.list(tmp)) {
      assertEquals(1, s.count(), "no staging folder left beside it");
    }
  }

  @Test
  void anArchiveWithinItsBoundIsExtracted() throws Exception {
    Path ok = zipOfZeros(tmp.resolve("ok.zip"), 1 << 20);
    SafeZip.verify(ok);
    Path target = tmp.resolve("out");
    SafeZip.extract(ok, target);
    assertEquals(1 << 20, Files.size(target.resolve("kermany/train/NORMAL/zeros.jpeg")));
    // the bound scales with the archive: a 1 MB archive may hold 100 MB
    assertEquals(SafeZip.EXPANSION_FLOOR, SafeZip.limit(ok));
  }
}
