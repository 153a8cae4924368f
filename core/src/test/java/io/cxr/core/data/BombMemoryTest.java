package io.cxr.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.TestData;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each bomb of issue 29, read by a process of its own under a fixed 256 MiB heap, its peak RSS
 * taken by the OS ({@code getrusage(RUSAGE_CHILDREN)} in a Python parent): refused with exit 2 and
 * a one-line message, and the process's memory stays under {@link #RSS_BOUND_MIB} whatever the
 * input declares (a 1 MB PNG of 32000x32000 cost 1.1 GB before the pixel bound; a 1 MB npz of a
 * million images, several GB).
 */
class BombMemoryTest {
  /** The child JVM with ND4J's and OpenCV's native libraries loaded: under 200 MiB here. */
  static final long RSS_BOUND_MIB = 400;

  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"png", "npz", "zip", "yaml"})
  void aBombIsRefusedWithinBoundedMemory(String kind) throws Exception {
    Path file = tmp.resolve("bomb." + kind);
    switch (kind) {
      case "png" -> pngOfZeros(file, 32_000);
      case "npz" -> npzOfZeros(file, 1_000_000);
      case "zip" -> zipOfZeros(file, 1L << 30);
      default -> yamlWithALongValue(file, 50 << 20);
    }
    List<String> cmd =
        List.of(
            TestData.venvBin("python").toString(),
            "-c",
            "import resource, subprocess, sys\n"
                + "r = subprocess.run(sys.argv[1:])\n"
                + "print('maxrss_kib', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
                + "sys.exit(r.returncode)",
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx256m",
            "-cp",
            System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
            BombChild.class.getName(),
            kind,
            file.toString());
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int code = p.waitFor();
    List<String> lines = out.lines().filter(l -> !l.startsWith("[main] INFO")).toList();
    assertEquals(2, code, kind + ": refused\n" + out);
    String refusal = lines.get(lines.size() - 2);
    assertTrue(
        refusal.contains(file.toString()) || refusal.contains(file.getFileName().toString()),
        kind + ": names the file: " + refusal);
    long rssMib =
        Long.parseLong(lines.get(lines.size() - 1).replace("maxrss_kib ", "").strip()) / 1024;
    System.out.printf(
        "%s bomb (%d KB on disk): peak RSS %d MiB%n", kind, Files.size(file) >> 10, rssMib);
    assertTrue(rssMib < RSS_BOUND_MIB, kind + ": peak RSS " + rssMib + " MiB\n" + out);
    assertTrue(!Files.exists(tmp.resolve("extracted")), "nothing extracted");
  }

  /** A valid grayscale PNG of side x side zero pixels: a GB of pixels deflated to about 1 MB. */
  static void pngOfZeros(Path file, int side) throws IOException {
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(file))) {
      out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
      java.io.ByteArrayOutputStream ihdr = new java.io.ByteArrayOutputStream();
      DataOutputStream h = new DataOutputStream(ihdr);
      h.writeInt(side);
      h.writeInt(side);
      h.write(new byte[] {8, 0, 0, 0, 0}); // 8-bit grey, deflate, no filter method, no interlace
      chunk(out, "IHDR", ihdr.toByteArray());
      java.io.ByteArrayOutputStream idat = new java.io.ByteArrayOutputStream();
      try (DeflaterOutputStream z =
          new DeflaterOutputStream(idat, new Deflater(Deflater.BEST_COMPRESSION), 1 << 16)) {
        byte[] row = new byte[side + 1]; // filter byte 0, then the row
        for (int y = 0; y < side; y++) {
          z.write(row);
        }
      }
      chunk(out, "IDAT", idat.toByteArray());
      chunk(out, "IEND", new byte[0]);
    }
  }

  private static void chunk(DataOutputStream out, String type, byte[] data) throws IOException {
    out.writeInt(data.length);
    byte[] t = type.getBytes(StandardCharsets.US_ASCII);
    out.write(t);
    out.write(data);
    CRC32 crc = new CRC32();
    crc.update(t);
    crc.update(data);
    out.writeInt((int) crc.getValue());
  }

  /** A PneumoniaMNIST-shaped npz declaring {@code n} 28x28 zero images (and n labels). */
  static void npzOfZeros(Path file, int n) throws IOException {
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
      zip.setLevel(Deflater.BEST_COMPRESSION);
      zip.putNextEntry(new ZipEntry("train_images.npy"));
      Npy.writeHeader(zip, "|u1", new int[] {n, 28, 28});
      zeros(zip, (long) n * 28 * 28);
      zip.closeEntry();
      zip.putNextEntry(new ZipEntry("train_labels.npy"));
      Npy.writeHeader(zip, "|u1", new int[] {n, 1});
      zeros(zip, n);
      zip.closeEntry();
    }
  }

  /** A zip holding one entry of {@code bytes} zeros. */
  static void zipOfZeros(Path file, long bytes) throws IOException {
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
      zip.setLevel(Deflater.BEST_COMPRESSION);
      zip.putNextEntry(new ZipEntry("chest_xray/train/NORMAL/zeros.jpeg"));
      zeros(zip, bytes);
      zip.closeEntry();
    }
  }

  /** A config file of {@code bytes} bytes: one key with a very long value. */
  static void yamlWithALongValue(Path file, int bytes) throws IOException {
    try (OutputStream out = Files.newOutputStream(file)) {
      out.write("experiment:\n  name: ".getBytes(StandardCharsets.US_ASCII));
      byte[] a = new byte[1 << 20];
      java.util.Arrays.fill(a, (byte) 'a');
      for (int left = bytes; left > 0; left -= a.length) {
        out.write(a, 0, Math.min(a.length, left));
      }
      out.write('\n');
    }
  }

  private static void zeros(OutputStream out, long n) throws IOException {
    byte[] block = new byte[1 << 20];
    for (long left = n; left > 0; left -= block.length) {
      out.write(block, 0, (int) Math.min(block.length, left));
    }
  }
}
