package io.cxr.core.io;

import io.cxr.core.CxrException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * One writer per output: an exclusive OS file lock on {@code .<target>.cxr-lock} beside or inside
 * the target, held while a command writes it. The operating system drops the lock when its process
 * ends, however it ends, so a killed command never leaves the workspace locked. A second command on
 * the same output is refused with a message naming the holder (read from the lock file). The lock
 * file is removed when the command ends normally or fails (a killed one leaves it, unlocked, and
 * the next command takes it over); a command that locked a file another one had just removed sees
 * so (the path no longer holds what it wrote) and locks the new file instead.
 */
public final class WorkspaceLock implements AutoCloseable {
  /** The open lock file; closing it releases the lock (null: going on unlocked). */
  private final FileChannel channel;

  private final Path file;

  private WorkspaceLock(FileChannel channel, Path file) {
    this.channel = channel;
    this.file = file;
  }

  /** Attempts at locking a lock file that its holder removed just as we opened it. */
  private static final int ATTEMPTS = 20;

  /**
   * The lock file of {@code target}: beside it ({@code .<name>.cxr-lock}) for an output that is
   * replaced as a whole (its parent must be writable anyway), inside it ({@code .cxr-lock}) for a
   * folder that is written into.
   */
  public static Path fileOf(Path target, boolean inside) {
    Path abs = target.toAbsolutePath();
    return inside
        ? abs.resolve(".cxr-lock")
        : abs.resolveSibling("." + abs.getFileName() + ".cxr-lock");
  }

  /**
   * Takes the lock of {@code target} for {@code command} (e.g. {@code cxr train}), or refuses.
   *
   * @param key the config key or option that named the target, for the message
   * @param inside whether the lock file goes inside the target folder (see {@link #fileOf})
   */
  public static WorkspaceLock acquire(Path target, boolean inside, String key, String command) {
    return acquire(target, inside, key, command, PROC_FDS);
  }

  /**
   * {@link #acquire}, waiting up to {@code patience} for another command that holds the lock (two
   * search trials on one host pulling the same data: the second uses what the first pulled).
   */
  public static WorkspaceLock await(
      Path target, boolean inside, String key, String command, java.time.Duration patience) {
    long deadline = System.nanoTime() + patience.toNanos();
    while (true) {
      try {
        return acquire(target, inside, key, command);
      } catch (InUse e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /** The refusal when another command holds the lock. */
  public static final class InUse extends CxrException {
    private static final long serialVersionUID = 1L;

    InUse(String message) {
      super(message);
    }
  }

  /** This process's open descriptors, as links to what they hold (Linux procfs). */
  static final Path PROC_FDS = Path.of("/proc/self/fd");

  /** {@link #acquire}, with the descriptor folder {@link #stillAt} reads (tests fake it). */
  static WorkspaceLock acquire(Path target, boolean inside, String key, String command, Path fds) {
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      WorkspaceLock lock = tryAcquire(target, inside, key, command, fds);
      if (lock != null) {
        return lock;
      }
    }
    throw new CxrException(
        key
            + " "
            + target
            + ": its lock file keeps vanishing; is another cxr command starting and ending in a"
            + " loop?");
  }

  /** One attempt; null when the file locked was removed by its previous holder meanwhile. */
  private static WorkspaceLock tryAcquire(
      Path target, boolean inside, String key, String command, Path fds) {
    Path file = fileOf(target, inside);
    FileChannel ch = null;
    try {
      Files.createDirectories(file.getParent());
      ch =
          FileChannel.open(
              file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock l;
      try {
        l = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        l = null; // held by this very process
      }
      if (l == null) {
        String holder = holder(ch);
        ch.close();
        throw new InUse(
            key
                + " "
                + target
                + ": in use by "
                + (holder.isBlank() ? "another cxr command" : holder)
                + "; wait for it to finish or write elsewhere");
      }
      if (!stillAt(file, fds)) {
        ch.close(); // its holder removed it between our open and our lock: lock the new one
        return null;
      }
      String me =
          command
              + " (pid "
              + Owner.pid()
              + " on "
              + Owner.host()
              + ", since "
              + Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
              + ")";
      ch.truncate(0);
      ch.write(ByteBuffer.wrap(me.getBytes(StandardCharsets.UTF_8)), 0);
      ch.force(false);
      return new WorkspaceLock(ch, file);
    } catch (java.nio.file.AccessDeniedException e) {
      // a lock file another user made (a container running as root, say): go on unlocked rather
      // than refuse work that is otherwise allowed
      return new WorkspaceLock(null, file);
    } catch (IOException e) {
      if (ch != null) {
        try {
          ch.close();
        } catch (IOException ignored) {
          // nothing more to do
        }
      }
      throw new CxrException(
          key + " " + target + ": cannot lock " + file + " (" + e.getMessage() + ")", e);
    }
  }

  /**
   * Whether the file we locked is still the one at its path, asked without opening it: POSIX record
   * locks (what FileChannel's locks are on Linux) are all dropped when the process closes any
   * descriptor of the file, so reading the path would release the very lock just taken. Our
   * descriptor's link in {@code /proc/self/fd} ends in " (deleted)" once its holder removed the
   * file. Without procfs, or when no descriptor names the file, the answer is yes.
   */
  private static boolean stillAt(Path file, Path fds) throws IOException {
    if (!Files.isDirectory(fds)) {
      return true;
    }
    String gone =
        file.toAbsolutePath().getParent().toRealPath().resolve(file.getFileName()) + " (deleted)";
    try (java.util.stream.Stream<Path> s = Files.list(fds)) {
      for (Path fd : s.toList()) {
        try {
          if (Files.readSymbolicLink(fd).toString().equals(gone)) {
            return false;
          }
        } catch (IOException e) {
          // closed meanwhile (the listing's own descriptor): not ours
        }
      }
    }
    return true;
  }

  private static String holder(FileChannel ch) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(512);
    int n = ch.read(b, 0);
    return n <= 0 ? "" : new String(b.array(), 0, n, StandardCharsets.UTF_8).trim();
  }

  @Override
  public void close() {
    if (channel == null) {
      return;
    }
    try {
      Files.deleteIfExists(file); // while still held: a waiter re-checks the path (stillAt)
    } catch (IOException ignored) {
      // an unlocked lock file left behind is harmless: the next command takes it over
    }
    try {
      channel.close(); // releases the lock
    } catch (IOException ignored) {
      // the lock dies with the process anyway
    }
  }
}
