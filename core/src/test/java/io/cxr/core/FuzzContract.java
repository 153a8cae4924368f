package io.cxr.core;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The contract every fuzz target checks: whatever the input, a reader returns a result or throws
 * {@link CxrException} with one short line naming the input; any other throwable (including {@link
 * OutOfMemoryError} from a declared size, and a hang, which Jazzer times out) is a finding.
 */
public final class FuzzContract {
  private FuzzContract() {}

  /** Runs {@code reader}; a CxrException must be one line that names {@code name}. */
  public static void refusesCleanly(String name, Runnable reader) {
    refusesCleanly(reader, name);
  }

  /** Runs {@code reader}; a CxrException must be one line that names one of {@code names}. */
  public static void refusesCleanly(Runnable reader, String... names) {
    try {
      reader.run();
    } catch (CxrException e) {
      String m = e.getMessage();
      assertNotNull(m, "CxrException without a message");
      assertFalse(m.contains("\n") || m.contains("\r"), () -> "not one line: " + m);
      assertTrue(m.length() <= 1000, () -> "message of " + m.length() + " chars");
      assertTrue(
          java.util.Arrays.stream(names).anyMatch(m::contains),
          () -> "message names none of " + java.util.Arrays.toString(names) + ": " + m);
    }
  }

  /** One scratch file per fuzzing JVM, rewritten for every input (readers that take a path). */
  public static Path scratch(String fileName, byte[] content) {
    try {
      Path dir = SCRATCH.dir;
      Path file = dir.resolve(fileName);
      Files.write(file, content);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final class SCRATCH {
    static final Path dir;

    static {
      try {
        dir = Files.createTempDirectory("cxr-fuzz");
        dir.toFile().deleteOnExit();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
