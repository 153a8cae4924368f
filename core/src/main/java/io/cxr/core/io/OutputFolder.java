package io.cxr.core.io;

import io.cxr.core.CxrException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Collection;

/**
 * The rule that cxr never replaces a file it did not write, for the folders its outputs go to
 * ({@code paths.models}, {@code paths.reports}, the experiment's artifacts, {@code evaluate -o}): a
 * folder cxr writes into carries a marker file, {@value #MARKER}. A folder without it is claimed
 * (marked) only when none of the files about to be written exists there; otherwise the command is
 * refused before it does any work, naming the file. The project's own output folders ship with
 * their marker.
 */
public final class OutputFolder {
  /** The marker's name: present in every folder cxr writes its named outputs into. */
  public static final String MARKER = ".cxr-outputs";

  private OutputFolder() {}

  /**
   * Checks (and marks) {@code dir} before {@code names} are written into it.
   *
   * @param option what the user set to choose the folder, for the message (e.g. {@code
   *     paths.reports} or {@code -o})
   */
  public static void claim(Path dir, Collection<String> names, String option) {
    if (check(dir, names, option)) {
      mark(dir, names, option);
    }
  }

  /**
   * The refusal of {@link #claim} without the marking, so that several folders can be checked
   * before any is marked; true when the folder still needs its marker.
   */
  public static boolean check(Path dir, Collection<String> names, String option) {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new CxrException(
          option
              + " "
              + dir
              + ": is a file (expected a folder for cxr's outputs); refusing to replace it");
    }
    if (Files.isRegularFile(dir.resolve(MARKER), LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    for (String name : names) {
      Path f = dir.resolve(name);
      if (Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
        throw new CxrException(
            option
                + " "
                + dir
                + ": holds "
                + name
                + ", which cxr did not write (no "
                + MARKER
                + " marker in the folder); refusing to replace it: move it away or choose another"
                + " folder");
      }
    }
    return true;
  }

  /**
   * Refuses a folder cxr cannot create a file in (a read-only mount, a folder of another user), so
   * that a long command fails before its work rather than after it; the probe file is removed.
   */
  public static void requireWritable(Path dir, String option) {
    try {
      Files.delete(Files.createTempFile(dir, ".cxr-probe-", ".tmp"));
    } catch (IOException e) {
      throw new CxrException(
          option
              + " "
              + dir
              + ": cannot write into it ("
              + (e instanceof java.nio.file.FileSystemException f && f.getReason() != null
                  ? f.getReason()
                  : String.valueOf(e.getMessage()))
              + "); checked before the work starts");
    }
  }

  /** Creates {@code dir} if needed and writes its marker. */
  public static void mark(Path dir, Collection<String> names, String option) {
    try {
      Files.createDirectories(dir);
      AtomicFiles.writeString(
          dir.resolve(MARKER),
          "cxr writes its outputs here and replaces only the files it wrote (e.g. "
              + String.join(", ", names)
              + ")\n");
    } catch (IOException | UncheckedIOException e) {
      throw new CxrException(option + " " + dir + ": cannot create it (" + e.getMessage() + ")");
    }
  }
}
