package io.cxr.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.CxrException;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile model.zip files that made DL4J's restore allocate what the file declared or recurse
 * without bound (found by ModelBundleFuzzTest): refused before DL4J reads them.
 */
class ArchiveCheckTest {
  private static final String SEED =
      "/io/cxr/core/model/ModelBundleFuzzTestInputs/readsAnyModelFileOrRefusesWithOneLine/dense-4px-model";

  @TempDir Path tmp;

  @Test
  void aSoundModelLoads() throws IOException {
    Path f = write(entries());
    assertEquals(4, ModelBundle.load(f).card().imageSize());
  }

  @Test
  void coefficientsDeclaringMoreValuesThanTheyHoldAreRefused() throws IOException {
    Map<String, byte[]> e = entries();
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    DataOutputStream d = new DataOutputStream(b);
    d.writeUTF("MIXED_DATA_TYPES");
    d.writeLong(1L << 40); // a terabyte of longs, in a file of a few bytes
    d.writeUTF("LONG");
    d.writeLong(0);
    e.put("coefficients.bin", b.toByteArray());
    Path f = write(e);
    CxrException x = assertThrows(CxrException.class, () -> ModelBundle.load(f));
    assertEquals(
        "model "
            + f
            + ": coefficients.bin declares 1099511627776 values of LONG but holds 8 bytes"
            + " (truncated or corrupt)",
        x.getMessage());
  }

  @Test
  void anEnsembleMemberIsCheckedLikeTheCoefficientsAndMustFitTheArchitecture() throws IOException {
    Map<String, byte[]> e = entries();
    // a member entry is ND4J's array format like coefficients.bin, so the same check applies
    byte[] truncated = java.util.Arrays.copyOf(e.get("coefficients.bin"), 40);
    e.put(ModelBundle.MEMBER_PREFIX + "1.bin", truncated);
    Path f = write(e);
    CxrException x = assertThrows(CxrException.class, () -> ModelBundle.load(f));
    assertTrue(x.getMessage().contains(ModelBundle.MEMBER_PREFIX + "1.bin"), x.getMessage());
    // a sound member loads as a second network; one of another size is refused by name
    Map<String, byte[]> good = entries();
    good.put(ModelBundle.MEMBER_PREFIX + "1.bin", good.get("coefficients.bin"));
    assertEquals(2, ModelBundle.load(write(good)).networks().size());
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    org.nd4j.linalg.factory.Nd4j.write(
        org.nd4j.linalg.factory.Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, 1, 3),
        new DataOutputStream(b));
    good.put(ModelBundle.MEMBER_PREFIX + "1.bin", b.toByteArray());
    Path wrong = write(good);
    CxrException y = assertThrows(CxrException.class, () -> ModelBundle.load(wrong));
    assertTrue(
        y.getMessage().contains("cxr-member-1.bin holds 3 parameters, the network has"),
        y.getMessage());
  }

  @Test
  void aConfigurationNestedBeyondAnyNetworkIsRefused() throws IOException {
    Map<String, byte[]> e = entries();
    e.put("configuration.json", "[".repeat(100_000).getBytes());
    Path f = write(e);
    CxrException x = assertThrows(CxrException.class, () -> ModelBundle.load(f));
    assertTrue(
        x.getMessage()
            .endsWith("configuration.json nested deeper than 200 (not a DL4J configuration)"),
        x.getMessage());
  }

  @Test
  void anEntryLargerThanTheHeapCanHoldIsRefusedWhileStreaming() throws IOException {
    Map<String, byte[]> e = entries();
    Path f = tmp.resolve("bomb.zip");
    // 1.1 GiB of zeros deflates to about a megabyte: a decompression bomb
    try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(f))) {
      for (var en : e.entrySet()) {
        z.putNextEntry(new ZipEntry(en.getKey()));
        z.write(en.getValue());
        z.closeEntry();
      }
      z.putNextEntry(new ZipEntry("updaterState.bin"));
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 1100; i++) {
        z.write(zeros);
      }
      z.closeEntry();
    }
    CxrException x = assertThrows(CxrException.class, () -> ModelBundle.load(f));
    assertTrue(x.getMessage().contains("entry 'updaterState.bin' of "), x.getMessage());
  }

  private Map<String, byte[]> entries() throws IOException {
    Map<String, byte[]> m = new LinkedHashMap<>();
    try (InputStream in = ArchiveCheckTest.class.getResourceAsStream(SEED);
        ZipInputStream z = new ZipInputStream(in)) {
      for (ZipEntry e; (e = z.getNextEntry()) != null; ) {
        m.put(e.getName(), z.readAllBytes());
      }
    }
    return m;
  }

  private Path write(Map<String, byte[]> entries) throws IOException {
    Path f = tmp.resolve("model.zip");
    try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(f))) {
      for (var e : entries.entrySet()) {
        z.putNextEntry(new ZipEntry(e.getKey()));
        z.write(e.getValue());
        z.closeEntry();
      }
    }
    return f;
  }
}
