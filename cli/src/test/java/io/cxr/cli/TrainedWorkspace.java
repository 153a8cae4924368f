package io.cxr.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The one small trained model the command-line tests share: 150 real Kermany images per class
 * (copied out of the shared data), prepared at the default folder size and trained for 2 epochs
 * with the default architecture, once per test JVM (about 30 s) instead of once per test class.
 *
 * <p>Tests that only read the model or the prepared data use {@link #base()}; a test that writes
 * (register, evaluate into the model's run, a report) takes its own {@link #copy(Path)}, so no test
 * depends on what another one did or on the order they run in. A training that fails fails every
 * test that needs it, with the training's output, and is not retried.
 */
final class TrainedWorkspace {
  /** Copied byte for byte; every other file is text that may name the workspace's own folder. */
  private static final Set<String> BINARY =
      Set.of(".zip", ".npy", ".png", ".jpeg", ".bin", ".lock");

  private static Path base;
  private static Cli prepare;
  private static Cli train;
  private static AssertionError failure;

  private TrainedWorkspace() {}

  /** The shared workspace (build it on first use); read it, never write into it. */
  static synchronized Path base() {
    if (failure != null) {
      throw failure;
    }
    if (base == null) {
      try {
        build();
      } catch (IOException e) {
        failure = new AssertionError("shared trained workspace: " + e, e);
        throw failure;
      }
    }
    return base;
  }

  /** The Kermany folder the model was prepared from: {@code NORMAL/} and {@code PNEUMONIA/}. */
  static Path source() {
    return base().resolve("source");
  }

  /** The shared trained model. */
  static Path model() {
    return base().resolve("models/model.zip");
  }

  /** The shared prepared data. */
  static Path prepared() {
    return base().resolve("prepared");
  }

  /** What {@code cxr prepare} printed when the workspace was built. */
  static Cli prepareOutput() {
    base();
    return prepare;
  }

  /** What {@code cxr train} printed when the workspace was built. */
  static Cli trainOutput() {
    base();
    return train;
  }

  /**
   * A private copy of the workspace in {@code dir} (models, prepared data, run records, plots),
   * with every path of the shared folder in its text files pointing at the copy; returns the {@link
   * Cli#isolated} overrides that make commands use it.
   */
  static String[] copy(Path dir) throws IOException {
    Path from = base();
    String old = from.toString();
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path to = dir.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(to);
        } else if (p.getFileName().toString().endsWith("cxr-lock")) {
          continue;
        } else if (isBinary(p)) {
          Files.copy(p, to);
        } else {
          String text = Files.readString(p, StandardCharsets.UTF_8);
          Files.writeString(to, text.replace(old, dir.toString()), StandardCharsets.UTF_8);
        }
      }
    }
    return Cli.isolated(dir);
  }

  private static boolean isBinary(Path p) {
    String n = p.getFileName().toString();
    int dot = n.lastIndexOf('.');
    return dot >= 0 && BINARY.contains(n.substring(dot));
  }

  private static void build() throws IOException {
    Path dir = Files.createTempDirectory("cxr-trained-");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
    Cli.copyKermany(dir.resolve("source"), 150);
    String[] iso = Cli.isolated(dir);
    prepare = Cli.run(Cli.concat(new String[] {"prepare", "--source", dir + "/source"}, iso));
    if (prepare.code() != 0) {
      failure = new AssertionError("shared trained workspace: prepare failed: " + prepare);
      throw failure;
    }
    train = Cli.run(Cli.concat(new String[] {"train", "train.epochs=2"}, iso));
    if (train.code() != 0) {
      failure = new AssertionError("shared trained workspace: train failed: " + train);
      throw failure;
    }
    base = dir;
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // a temp folder left behind is not worth failing the run for
    }
  }
}
