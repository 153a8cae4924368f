package io.cxr.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Under a non-UTF-8 locale ({@code LC_ALL=C}, usual in cron jobs and minimal containers) the JVM
 * decodes file names and arguments as ASCII, so a path with a non-ASCII character (a patient's
 * name, a {@code Röntgen} folder) cannot even be named, and Java has no switch for that after
 * start-up. So cxr starts itself once more with {@code LC_ALL=C.UTF-8}. The original argument bytes
 * come from {@code /proc/self/cmdline}; since this JVM could only pass them on as ASCII, they
 * travel in a temp file (NUL-separated UTF-8) that the new process reads and deletes.
 */
final class Utf8Relaunch {
  static final String GUARD = "CXR_UTF8_RELAUNCHED";
  static final String ARGS_FILE = "CXR_UTF8_ARGS";

  private Utf8Relaunch() {}

  /** The exit code of the relaunched cxr, or null when this process can go on itself. */
  static Integer ifNeeded(String[] args) {
    String jnu = System.getProperty("sun.jnu.encoding", "UTF-8");
    if (jnu.equalsIgnoreCase("UTF-8") || jnu.equalsIgnoreCase("UTF8")) {
      return null;
    }
    if (System.getenv(GUARD) != null) {
      return null; // the relaunch itself, still not UTF-8 (no C.UTF-8 locale): go on as before
    }
    List<byte[]> tokens = commandLine();
    if (tokens == null) {
      return null; // not Linux
    }
    int launcher = tokens.size() - args.length;
    if (launcher <= 0) {
      return null;
    }
    List<String> command = new ArrayList<>();
    for (byte[] t : tokens.subList(0, launcher)) {
      String s = new String(t, StandardCharsets.UTF_8);
      if (!StandardCharsets.US_ASCII.newEncoder().canEncode(s)) {
        return null; // the java or jar path itself is not ASCII: cannot be passed on
      }
      command.add(s);
    }
    Path file = null;
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      for (byte[] t : tokens.subList(launcher, tokens.size())) {
        bytes.write(t);
        bytes.write(0);
      }
      file = Files.createTempFile("cxr-args-", ".bin");
      Files.write(file, bytes.toByteArray());
      ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
      pb.environment().put("LC_ALL", "C.UTF-8");
      pb.environment().put(GUARD, "1");
      pb.environment().put(ARGS_FILE, file.toString());
      Process p = pb.start();
      Runtime.getRuntime().addShutdownHook(stopping(p));
      while (true) {
        try {
          return p.waitFor();
        } catch (InterruptedException e) {
          // Ctrl-C reaches the child too (same process group): wait for it to end its runs
        }
      }
    } catch (IOException e) {
      return null;
    } finally {
      if (file != null) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException ignored) {
          // the child normally deleted it already
        }
      }
    }
  }

  /** This process's command line as raw bytes per token (/proc/self/cmdline), or null. */
  private static List<byte[]> commandLine() {
    List<byte[]> tokens = new ArrayList<>();
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc/self/cmdline"));
      int from = 0;
      for (int i = 0; i < raw.length; i++) {
        if (raw[i] == 0) {
          tokens.add(Arrays.copyOfRange(raw, from, i));
          from = i + 1;
        }
      }
      return tokens;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * A shutdown hook ending the child: SIGTERM / Ctrl-C of this process ends the child too (it
   * releases its locks and marks its runs as it would itself); a SIGKILL of this one is seen by the
   * child ({@link #watchParent}).
   */
  private static Thread stopping(Process p) {
    return new Thread(
        () -> {
          p.destroy();
          try {
            p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        },
        "cxr-stop-child");
  }

  /**
   * In the relaunched process: stops it (exit 143, shutdown hooks run) when the cxr that started it
   * ends without it, e.g. killed with SIGKILL, so no orphan keeps training and holding locks.
   */
  static void watchParent() {
    if (System.getenv(GUARD) == null) {
      return;
    }
    ProcessHandle.current()
        .parent()
        .ifPresent(
            parent ->
                parent
                    .onExit()
                    .thenRun(
                        () -> {
                          System.err.println(
                              "cxr: error: the cxr process that started this one has ended;"
                                  + " stopping");
                          System.exit(143);
                        }));
  }

  /** In the relaunched process: the original arguments, from the file; else {@code args}. */
  static String[] arguments(String[] args) {
    String f = System.getenv(ARGS_FILE);
    if (f == null || System.getenv(GUARD) == null) {
      return args;
    }
    try {
      Path file = Path.of(f);
      byte[] raw = Files.readAllBytes(file);
      Files.deleteIfExists(file);
      List<String> out = new ArrayList<>();
      int from = 0;
      for (int i = 0; i < raw.length; i++) {
        if (raw[i] == 0) {
          out.add(new String(raw, from, i - from, StandardCharsets.UTF_8));
          from = i + 1;
        }
      }
      return out.toArray(String[]::new);
    } catch (IOException | RuntimeException e) {
      return args;
    }
  }
}
