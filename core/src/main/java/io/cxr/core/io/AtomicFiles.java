package io.cxr.core.io;

import io.cxr.core.CxrException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;

/** Writes files and folders so that a reader never sees a half-written one: temp, then rename. */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Something that writes the content of a file to a stream. */
  @FunctionalInterface
  public interface Writer {
    void write(OutputStream out) throws IOException;
  }

  /** Something that fills a file at a given (temporary) path. */
  @FunctionalInterface
  public interface PathWriter {
    void write(Path tmp) throws IOException;
  }

  public static void writeString(Path target, String content) {
    write(target, out -> out.write(content.getBytes(StandardCharsets.UTF_8)));
  }

  public static void write(Path target, Writer writer) {
    writeVia(
        target,
        tmp -> {
          try (OutputStream out = Files.newOutputStream(tmp)) {
            writer.write(out);
          }
        });
  }

  /** Lets {@code writer} fill a temp file beside {@code target}, then renames it into place. */
  public static void writeVia(Path target, PathWriter writer) {
    Path abs = target.toAbsolutePath();
    Path tmp = null;
    try {
      Files.createDirectories(abs.getParent());
      tmp = fresh(abs.getParent(), "." + abs.getFileName() + ".", ".tmp", false);
      writer.write(tmp);
      move(tmp, abs);
      tmp = null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // best effort: the temp name is hidden and never taken for output
        }
      }
    }
  }

  /**
   * A new file or folder with an unused random name. Unlike {@code Files.createTempFile}, which
   * makes files owner-only (0600) whatever the umask, this creates them with the process's umask
   * applied, so published outputs get the permissions the user's other files get.
   */
  static Path fresh(Path dir, String prefix, String suffix, boolean folder) throws IOException {
    java.security.SecureRandom rnd = new java.security.SecureRandom();
    for (int attempt = 0; ; attempt++) {
      // the owner in the name: a later command removes it if this process dies (Owner.sweep)
      Path p =
          dir.resolve(
              prefix + Owner.tempTag() + "-" + Long.toUnsignedString(rnd.nextLong(), 36) + suffix);
      try {
        return folder ? Files.createDirectory(p) : Files.createFile(p);
      } catch (java.nio.file.FileAlreadyExistsException e) {
        if (attempt > 100) {
          throw e;
        }
      }
    }
  }

  /**
   * A fresh temporary directory beside {@code target}, to be published with {@link #publishDir}.
   */
  public static Path tempDirBeside(Path target) {
    Path abs = target.toAbsolutePath();
    try {
      Files.createDirectories(abs.getParent());
      return fresh(abs.getParent(), "." + abs.getFileName() + ".", "", true);
    } catch (IOException e) {
      throw new CxrException("cannot create a folder beside " + target + ": " + e.getMessage(), e);
    }
  }

  /** Replaces {@code target} by the complete folder {@code staged} (old content removed). */
  public static void publishDir(Path staged, Path target) {
    Path abs = target.toAbsolutePath();
    try {
      Path old = null;
      if (Files.exists(abs)) {
        old =
            abs.resolveSibling(
                "." + abs.getFileName() + "." + Owner.tempTag() + "-old" + System.nanoTime());
        Files.move(abs, old);
      }
      move(staged, abs);
      if (old != null) {
        deleteRecursively(old);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot publish " + target + ": " + e.getMessage(), e);
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  public static void deleteRecursively(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try {
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.delete(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
              Files.delete(d);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir + ": " + e.getMessage(), e);
    }
  }
}
