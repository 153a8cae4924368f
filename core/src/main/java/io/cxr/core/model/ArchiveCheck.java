package io.cxr.core.model;

import io.cxr.core.CxrException;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

/**
 * Checks a model.zip before DL4J reads it, so that no file can make the restore allocate beyond
 * what the file holds. DL4J's {@code ModelSerializer} reads every entry (through the local headers)
 * into an array of its declared size, parses {@code configuration.json} recursively and allocates
 * the parameter buffers {@code coefficients.bin} declares: a 2 KB file could ask for gigabytes or
 * overflow the stack. Here every entry is streamed once with a size bound (decompression bombs),
 * the configuration's nesting depth is bounded, and the coefficient buffers' declared lengths must
 * fit in the bytes that are there.
 */
final class ArchiveCheck {
  /** The largest entry accepted: far above any cxr model (a 224 px CNN is a few MB). */
  static final long MAX_ENTRY = 1L << 30;

  /** JSON nesting deeper than this is no DL4J configuration (theirs is about 10 deep). */
  static final int MAX_DEPTH = 200;

  private ArchiveCheck() {}

  static void check(Path file) {
    String name = "model " + file;
    long budget = Math.min(MAX_ENTRY, headroom() / 2);
    Set<String> seen = new HashSet<>();
    try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(file))) {
      ZipEntry e;
      while ((e = zip.getNextEntry()) != null) {
        if (!seen.add(e.getName())) {
          throw new CxrException(name + ": entry '" + printable(e.getName()) + "' appears twice");
        }
        if (e.getSize() > budget) {
          throw tooLarge(name, e.getName(), e.getSize(), budget);
        }
        switch (e.getName()) {
          case "configuration.json" -> depth(name, e.getName(), read(zip, name, e, budget));
          case "coefficients.bin" -> buffers(name, e.getName(), read(zip, name, e, budget));
          default -> {
            if (e.getName().startsWith(ModelBundle.MEMBER_PREFIX)) {
              buffers(name, e.getName(), read(zip, name, e, budget)); // an ensemble member's
            } else {
              skip(zip, name, e, budget);
            }
          }
        }
      }
    } catch (ZipException | IllegalArgumentException | EOFException e) {
      throw new CxrException(
          name + ": not a valid zip archive (expected a model.zip written by `cxr train`)");
    } catch (IOException e) {
      throw new CxrException(name + ": unreadable (" + e.getMessage() + ")");
    }
  }

  private static byte[] read(ZipInputStream zip, String name, ZipEntry e, long budget)
      throws IOException {
    byte[] b = zip.readNBytes((int) Math.min(budget + 1, Integer.MAX_VALUE - 16));
    if (b.length > budget) {
      throw tooLarge(name, e.getName(), b.length, budget);
    }
    return b;
  }

  private static void skip(InputStream zip, String name, ZipEntry e, long budget)
      throws IOException {
    long n = 0;
    byte[] buf = new byte[1 << 16];
    for (int r; (r = zip.read(buf)) > 0; ) {
      n += r;
      if (n > budget) {
        throw tooLarge(name, e.getName(), n, budget);
      }
    }
  }

  /** The deepest nesting of [ and { outside strings. */
  private static void depth(String name, String entry, byte[] json) {
    int depth = 0;
    boolean inString = false;
    boolean escaped = false;
    for (byte c : json) {
      if (inString) {
        if (escaped) {
          escaped = false;
        } else if (c == '\\') {
          escaped = true;
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '[' || c == '{') {
        if (++depth > MAX_DEPTH) {
          throw new CxrException(
              name
                  + ": "
                  + entry
                  + " nested deeper than "
                  + MAX_DEPTH
                  + " (not a DL4J configuration)");
        }
      } else if (c == ']' || c == '}') {
        depth--;
      }
    }
  }

  /**
   * ND4J's array format: two buffers (shape information, then the data), each written as the
   * allocation mode (UTF), the number of elements (long), the data type (UTF), then the elements.
   */
  private static void buffers(String name, String entry, byte[] bin) {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(bin));
    try {
      for (int k = 0; k < 2; k++) {
        in.readUTF();
        long length = in.readLong();
        String type = in.readUTF();
        int width = width(type);
        if (width == 0) {
          throw new CxrException(
              name + ": " + entry + " has a buffer of unknown type '" + printable(type) + "'");
        }
        long left = in.available();
        if (length < 0 || length > left / width) {
          throw new CxrException(
              String.format(
                  Locale.ROOT,
                  "%s: %s declares %d values of %s but holds %d bytes (truncated or corrupt)",
                  name,
                  entry,
                  length,
                  printable(type),
                  left));
        }
        in.skipNBytes(length * width);
      }
    } catch (IOException e) {
      throw new CxrException(name + ": " + entry + " is truncated (expected ND4J's array format)");
    }
  }

  private static int width(String type) {
    return switch (type) {
      case "DOUBLE", "LONG", "UTF8", "COMPRESSED", "UINT64" -> 8;
      case "FLOAT", "INT", "UINT32" -> 4;
      case "HALF", "BFLOAT16", "SHORT", "UINT16" -> 2;
      case "BYTE", "UBYTE", "BOOL" -> 1;
      default -> 0;
    };
  }

  private static CxrException tooLarge(String name, String entry, long size, long budget) {
    return new CxrException(
        String.format(
            Locale.ROOT,
            "%s: entry '%s' of %d MiB or more (at most %d MiB: the heap's headroom; not a cxr model"
                + " or raise -Xmx)",
            name,
            printable(entry),
            size >> 20,
            budget >> 20));
  }

  private static String printable(String s) {
    String t = s.replaceAll("\\p{Cntrl}", "?");
    return t.length() > 100 ? t.substring(0, 100) + "..." : t;
  }

  private static long headroom() {
    Runtime rt = Runtime.getRuntime();
    return rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
  }
}
