package io.cxr.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;

/** Runs the cxr command line in-process and captures what it prints. */
record Cli(int code, String out, String err) {
  static Cli run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Cli(code, out.toString(), err.toString());
  }

  /** {@code a} followed by {@code b}, for building command lines. */
  static String[] concat(String[] a, String... b) {
    return java.util.stream.Stream.concat(java.util.Arrays.stream(a), java.util.Arrays.stream(b))
        .toArray(String[]::new);
  }

  /**
   * Overrides that keep a test's outputs, runs and registry inside {@code tmp} (local MLflow store,
   * no server).
   */
  static String[] isolated(Path tmp) {
    return new String[] {
      "paths.prepared=" + tmp.resolve("prepared"),
      "paths.models=" + tmp.resolve("models"),
      "paths.artifacts=" + tmp.resolve("artifacts"),
      "paths.reports=" + tmp.resolve("reports"),
      "tracking.local_dir=" + tmp.resolve("mlruns"),
      "tracking.uri=",
      // one network per training: the default ensemble of 3 would triple the tests' training
      // time (core's TrainerTest trains an ensemble)
      "train.ensemble=1"
    };
  }

  /** The real shared data beside the checkout (or CXR_SHARED_DATA). */
  static Path sharedData() {
    String env = System.getenv("CXR_SHARED_DATA");
    if (env != null) {
      return Path.of(env);
    }
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isDirectory(d.resolve("shared/data/pneumoniamnist"))) {
        return d.resolve("shared/data");
      }
    }
    throw new AssertionError("shared/data not found beside the checkout; set CXR_SHARED_DATA");
  }

  /**
   * Copies the first {@code perClass} JPEGs of each class of the Kermany train folder into {@code
   * folder}/NORMAL and {@code folder}/PNEUMONIA; returns {@code folder}.
   */
  static Path copyKermany(Path folder, int perClass) throws java.io.IOException {
    for (String label : java.util.List.of("NORMAL", "PNEUMONIA")) {
      Path dir = Files.createDirectories(folder.resolve(label));
      try (var s = Files.list(sharedData().resolve("chest_xray_224/train").resolve(label))) {
        for (Path p : s.sorted().limit(perClass).toList()) {
          Files.copy(p, dir.resolve(p.getFileName()));
        }
      }
    }
    return folder;
  }

  @Override
  public String toString() {
    return "exit " + code + "\n--- out\n" + out + "--- err\n" + err;
  }
}
