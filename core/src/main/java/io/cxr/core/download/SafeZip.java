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

  /** Reads every entry to check CRCs: a truncated or corrupt archive is an error. */
  public static void verify(Path zip) {
    try (ZipFile z = new ZipFile(zip.toFile())) {
      byte[] buf = new byte[1 << 16];
      Enumeration<? extends ZipEntry> en = z.entries();
      while (en.hasMoreElements()) {
        ZipEntry e = en.nextElement();
        try (InputStream in = z.getInputStream(e)) {
          while (in.read(buf) > 0) {
            // reading to the end makes ZipFile check the entry's CRC
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
        try (InputStream in = z.getInputStream(e)) {
          Files.copy(in, out);
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
