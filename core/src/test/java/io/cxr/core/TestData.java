package io.cxr.core;

import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the real shared data ({@code ../shared/data} beside the checkout, or CXR_SHARED_DATA).
 * Tests that need it fail, never skip, when it is missing.
 */
public final class TestData {
  private TestData() {}

  public static Path sharedData() {
    String env = System.getenv("CXR_SHARED_DATA");
    if (env != null && Files.isDirectory(Path.of(env))) {
      return Path.of(env);
    }
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null) {
      Path candidate = dir.resolve("shared").resolve("data");
      if (Files.isDirectory(candidate.resolve("pneumoniamnist"))) {
        return candidate;
      }
      dir = dir.getParent();
    }
    throw new AssertionError(
        "real data not found: set CXR_SHARED_DATA or put shared/data beside " + "the checkout");
  }

  public static Path npz() {
    return sharedData().resolve("pneumoniamnist").resolve("pneumoniamnist.npz");
  }

  public static Path kermany() {
    return sharedData().resolve("chest_xray_224");
  }

  /** Some real JPEGs of one class. */
  public static List<Path> jpegs(String label, int n) {
    try (var s = Files.list(kermany().resolve("train").resolve(label))) {
      return new ArrayList<>(s.sorted().limit(n).toList());
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * A small Kermany folder of real images under {@code root}: {@code chest_xray/train/<class>/}
   * with the first {@code perClass} JPEGs of each class (copies); returns {@code chest_xray}.
   */
  public static Path smallKermany(Path root, int perClass) {
    Path src = root.resolve("chest_xray");
    try {
      for (String label : List.of("NORMAL", "PNEUMONIA")) {
        Path dir = Files.createDirectories(src.resolve("train").resolve(label));
        for (Path p : jpegs(label, perClass)) {
          Files.copy(p, dir.resolve(p.getFileName()));
        }
      }
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    return src;
  }

  /** The project venv's python (scripts/venv.sh); required under CI, else the test aborts. */
  public static Path venvBin(String tool) {
    String env = System.getenv("CXR_VENV");
    if (env != null && Files.isExecutable(Path.of(env, "bin", tool))) {
      return Path.of(env, "bin", tool);
    }
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      Path bin = d.resolve(".venv").resolve("bin").resolve(tool);
      if (Files.isExecutable(bin)) {
        return bin;
      }
    }
    if ("true".equals(System.getenv("CI"))) {
      throw new AssertionError("no .venv/bin/" + tool + ": run scripts/venv.sh first");
    }
    org.junit.jupiter.api.Assumptions.abort("no .venv/bin/" + tool + ": run scripts/venv.sh");
    return null;
  }

  /** Defaults plus overrides, with every output path under {@code tmp}. */
  public static CxrConfig config(Path tmp, String... overrides) {
    return ConfigLoader.load(null, configArgs(tmp, List.of(overrides)));
  }

  /**
   * The overrides {@link #config} loads: every output path under {@code tmp}, then {@code more}.
   */
  public static List<String> configArgs(Path tmp, List<String> overrides) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "paths.prepared=" + tmp.resolve("prepared"),
                "paths.models=" + tmp.resolve("models"),
                "paths.artifacts=" + tmp.resolve("artifacts"),
                "paths.reports=" + tmp.resolve("reports"),
                "download.target=" + tmp.resolve("raw"),
                "tracking.local_dir=" + tmp.resolve("mlruns"),
                // one network per training: the default ensemble of 3 would triple every test's
                // training time; TrainerTest trains an ensemble on its own
                "train.ensemble=1"));
    all.addAll(overrides);
    return all;
  }
}
