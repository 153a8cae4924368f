package io.cxr.core.io;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Who owns work in progress: this process (host, pid, start time). Temp files and folders carry
 * their owner in their names ({@code .<target>.cxr-<host8>-<pid>-<random>[.tmp]}) and tracked runs
 * carry it in tags, so a later command can tell work whose owner died (a {@code kill -9}, a power
 * cut) from work still going on, and clean up only the former: only on this host, only names of
 * that exact shape, only when the pid is gone or now belongs to a process started later.
 */
public final class Owner {
  /** A temp name cxr made: group 1 the host's hash, group 2 the pid. */
  static final Pattern TEMP =
      Pattern.compile("^\\..+\\.cxr-([0-9a-f]{8})-(\\d+)-[0-9a-z]+(\\.tmp)?$");

  private static final String HOST = resolveHost();
  private static final String HOST_HASH = hash(HOST);

  private Owner() {}

  /** This machine's name (containers have their own). */
  public static String host() {
    return HOST;
  }

  public static long pid() {
    return ProcessHandle.current().pid();
  }

  /** When this process started (ISO-8601), or "" when the platform does not say. */
  public static String started() {
    return ProcessHandle.current().info().startInstant().map(Instant::toString).orElse("");
  }

  /** The owner part of temp names made by this process: {@code cxr-<host8>-<pid>}. */
  public static String tempTag() {
    return "cxr-" + HOST_HASH + "-" + pid();
  }

  /**
   * Whether the owner is known to be gone: on this host, and its pid is not running or runs a
   * process that started after the owner did (the pid was reused). Unknown (another host, an
   * unreadable pid): false, so nothing of a live owner is ever touched.
   */
  public static boolean gone(String host, long pid, String started) {
    if (!HOST.equals(host) || pid <= 0) {
      return false;
    }
    Optional<ProcessHandle> h = ProcessHandle.of(pid);
    if (h.isEmpty() || !h.get().isAlive()) {
      return true;
    }
    if (started == null || started.isEmpty()) {
      return false;
    }
    Optional<Instant> now = h.get().info().startInstant();
    try {
      return now.isPresent() && now.get().isAfter(Instant.parse(started));
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * Removes, from each folder, the temp files and folders cxr made whose owner on this host is
   * gone; reports each removal. Names of any other shape are never touched.
   *
   * @return what was removed
   */
  public static List<Path> sweep(Collection<Path> dirs, Consumer<String> report) {
    List<Path> removed = new ArrayList<>();
    for (Path dir : new LinkedHashSet<>(dirs)) {
      if (dir == null || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      List<Path> entries;
      try (Stream<Path> s = Files.list(dir)) {
        entries = s.toList();
      } catch (IOException e) {
        continue;
      }
      for (Path p : entries) {
        Matcher m = TEMP.matcher(p.getFileName().toString());
        if (!m.matches() || !HOST_HASH.equals(m.group(1))) {
          continue;
        }
        long pid;
        try {
          pid = Long.parseLong(m.group(2));
        } catch (NumberFormatException e) {
          continue;
        }
        if (pid == pid() || !gone(HOST, pid, "")) {
          continue;
        }
        try {
          if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            AtomicFiles.deleteRecursively(p);
          } else {
            Files.deleteIfExists(p);
          }
          removed.add(p);
          report.accept("removed " + p + ", left by cxr process " + pid + " which is gone");
        } catch (IOException | RuntimeException e) {
          report.accept("cannot remove " + p + " (left by process " + pid + "): " + e.getMessage());
        }
      }
    }
    return removed;
  }

  private static String resolveHost() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      String env = System.getenv("HOSTNAME");
      return env == null ? "unknown" : env;
    }
  }

  private static String hash(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
