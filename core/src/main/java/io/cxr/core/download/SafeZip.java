package io.cxr.core.download;

import io.cxr.core.CxrException;
import io.cxr.core.io.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/** Checks and extracts zip archives without letting any entry escape the target folder. */
public final class SafeZip {
  private SafeZip() {}

  /** An archive may expand to this many times its size at most (JPEGs: about 1x). */
  static final long MAX_EXPANSION = 100;

  /** Small archives may always expand to this much. */
  static final long EXPANSION_FLOOR = 64L << 20;

  /** The most bytes {@code zip}'s entries may hold together. */
  static long limit(Path zip) throws IOException {
    return Math.max(EXPANSION_FLOOR, Files.size(zip) * MAX_EXPANSION);
  }

  private static CxrException bomb(Path zip, long limit) {
    return new CxrException(
        "archive "
            + zip.getFileName()
            + ": expands beyond "
            + limit
            + " bytes (over "
            + MAX_EXPANSION
            + "x its size: not an image collection; refusing a decompression bomb)");
  }

  /** Reads every entry to check CRCs: a truncated or corrupt archive is an error. */
  public static void verify(Path zip) {
    try (ZipFile z = new ZipFile(zip.toFile())) {
      long limit = limit(zip);
      long total = 0;
      byte[] buf = new byte[1 << 16];
      Enumeration<? extends ZipEntry> en = z.entries();
      while (en.hasMoreElements()) {
        ZipEntry e = en.nextElement();
        try (InputStream in = z.getInputStream(e)) {
          // reading to the end makes ZipFile check the entry's CRC
          for (int n = in.read(buf); n > 0; n = in.read(buf)) {
            total += n;
            if (total > limit) {
              throw bomb(zip, limit);
            }
          }
        }
      }
    } catch (ZipException e) {
      throw new CxrException(
          "archive " + zip.getFileName() + ": corrupt or incomplete zip (" + e.getMessage() + ")");
    } catch (IOException e) {
      throw new CxrException(
          "archive " + zip.getFileName() + ": unreadable (" + e.getMessage() + ")");
    }
  }

  /**
   * Extracts into {@code target} (replaced as a whole, atomically); macOS metadata ({@code
   * __MACOSX/}, {@code .DS_Store}) is skipped.
   */
  public static void extract(Path zip, Path target) {
    Path staging = AtomicFiles.tempDirBeside(target);
    try (ZipFile z = new ZipFile(zip.toFile())) {
      long limit = limit(zip);
      long total = 0;
      byte[] buf = new byte[1 << 16];
      Path root = staging.toRealPath();
      Enumeration<? extends ZipEntry> en = z.entries();
      while (en.hasMoreElements()) {
        ZipEntry e = en.nextElement();
        String name = e.getName();
        if (name.startsWith("__MACOSX/") || name.endsWith(".DS_Store")) {
          continue;
        }
        Path out = root.resolve(name).normalize();
        if (name.startsWith("/")
            || name.contains("\\")
            || !out.startsWith(root)
            || out.equals(root)) {
          throw new CxrException(
              "archive "
                  + zip.getFileName()
                  + ": entry '"
                  + name
                  + "' would be written outside the target folder (refused)");
        }
        if (e.isDirectory()) {
          Files.createDirectories(out);
          continue;
        }
        Files.createDirectories(out.getParent());
        try (InputStream in = z.getInputStream(e);
            java.io.OutputStream os =
                Files.newOutputStream(out, java.nio.file.StandardOpenOption.CREATE_NEW)) {
          for (int n = in.read(buf); n > 0; n = in.read(buf)) {
            total += n;
            if (total > limit) {
              throw bomb(zip, limit); // staging is removed below: nothing half-extracted stays
            }
            os.write(buf, 0, n);
          }
        }
      }
      AtomicFiles.publishDir(staging, target);
      staging = null;
    } catch (IOException e) {
      throw new CxrException(
          "archive " + zip.getFileName() + ": cannot extract (" + e.getMessage() + ")");
    } finally {
      if (staging != null) {
        AtomicFiles.deleteRecursively(staging);
      }
    }
  }
}
