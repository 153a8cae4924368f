package io.cxr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DVC pipeline with real DVC (from .venv) on a copy of the repository: repro, no-op repro,
 * partial repro after a train param change, metrics/params diff, push/pull round trip, plots, and a
 * failing gate that stops the pipeline at evaluate.
 */
class DvcPipelineIT {
  @TempDir Path tmp;
  Path work;

  record Run(int code, String out) {}

  Run sh(String... cmd) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true);
    pb.environment().put("DVC_NO_ANALYTICS", "1");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(15, TimeUnit.MINUTES), String.join(" ", cmd));
    return new Run(p.exitValue(), out);
  }

  Run dvc(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(CxrJarIT.python().resolveSibling("dvc").toString()));
    cmd.addAll(List.of(args));
    return sh(cmd.toArray(String[]::new));
  }

  Run ok(Run r) {
    assertEquals(0, r.code(), r.out());
    return r;
  }

  @Test
  void pipelineReproducesTracksAndRoundTrips() throws Exception {
    Path repo = repoRoot();
    work = tmp.resolve("repo");
    Process ls = new ProcessBuilder("git", "ls-files", "-z").directory(repo.toFile()).start();
    String files = new String(ls.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    ls.waitFor();
    for (String f : files.split("\0")) {
      if (f.isEmpty() || !Files.isRegularFile(repo.resolve(f))) {
        continue;
      }
      Path to = work.resolve(f);
      Files.createDirectories(to.getParent());
      Files.copy(repo.resolve(f), to, StandardCopyOption.COPY_ATTRIBUTES);
    }
    Path jar = Path.of(System.getProperty("cxr.jar", "target/cxr.jar")).toAbsolutePath();
    Files.createDirectories(work.resolve("cli/target"));
    Files.copy(jar, work.resolve("cli/target/cxr.jar"));
    Path npz = Cli.sharedData().resolve("pneumoniamnist/pneumoniamnist.npz").toAbsolutePath();
    // small and quick: a real pipeline on a subset of the real data
    edit("source: ../shared/data/pneumoniamnist/pneumoniamnist.npz", "source: " + npz);
    edit("max_per_class: 0", "max_per_class: 200");
    edit("epochs: 15", "epochs: 2");
    edit("filters: [16, 32, 64]", "filters: [8, 16]");
    edit("min_test_f1: 0.80", "min_test_f1: 0.50");
    edit("min_test_accuracy: 0.75", "min_test_accuracy: 0.50");
    edit("min_test_auc: 0.90", "min_test_auc: 0.50");
    edit("min_test_specificity: 0.70", "min_test_specificity: 0.10");
    edit("max_train_test_f1_gap: 0.15", "max_train_test_f1_gap: 0.50");
    ok(sh("git", "init", "-q"));
    ok(sh("git", "-c", "user.email=t@t", "-c", "user.name=t", "add", "-A"));
    ok(sh("git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "copy"));

    Run first = ok(dvc("repro"));
    for (String stage : List.of("prepare", "train", "evaluate")) {
      assertTrue(first.out().contains("Running stage '" + stage + "'"), first.out());
    }
    for (String out :
        List.of(
            "data/prepared/manifest.json",
            "models/model.zip",
            "models/metrics.json",
            "reports/evaluation.json",
            "dvc.lock")) {
      assertTrue(Files.isRegularFile(work.resolve(out)), out);
    }
    ok(sh("git", "-c", "user.email=t@t", "-c", "user.name=t", "add", "-A"));
    ok(sh("git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "first"));

    Run again = ok(dvc("repro"));
    assertFalse(again.out().contains("Running stage"), "nothing to do: " + again.out());

    edit("learning_rate: 0.001", "learning_rate: 0.003");
    Run partial = ok(dvc("repro"));
    assertFalse(partial.out().contains("Running stage 'prepare'"), partial.out());
    assertTrue(partial.out().contains("Running stage 'train'"), partial.out());
    assertTrue(partial.out().contains("Running stage 'evaluate'"), partial.out());

    Run show = ok(dvc("metrics", "show"));
    assertTrue(show.out().contains("test_f1"), show.out());
    Run params = ok(dvc("params", "diff"));
    assertTrue(
        params.out().contains("train.learning_rate") && params.out().contains("0.003"),
        params.out());
    Run metrics = ok(dvc("metrics", "diff", "--all"));
    assertTrue(metrics.out().contains("test_auc"), metrics.out());
    Run plots = ok(dvc("plots", "show", "-o", tmp.resolve("plots").toString()));
    assertTrue(Files.isRegularFile(tmp.resolve("plots/index.html")), plots.out());

    ok(dvc("remote", "add", "-d", "local", tmp.resolve("remote").toString()));
    ok(dvc("push"));
    String model = sha256(work.resolve("models/model.zip"));
    String xTrain = sha256(work.resolve("data/prepared/x_train.npy"));
    delete(work.resolve(".dvc/cache"));
    delete(work.resolve("data/prepared"));
    Files.delete(work.resolve("models/model.zip"));
    ok(dvc("pull"));
    assertEquals(model, sha256(work.resolve("models/model.zip")));
    assertEquals(xTrain, sha256(work.resolve("data/prepared/x_train.npy")));

    edit("min_test_auc: 0.50", "min_test_auc: 1.0");
    Run gate = dvc("repro");
    assertNotEquals(0, gate.code(), gate.out());
    assertTrue(
        gate.out().contains("quality gate:") && gate.out().contains("=> FAILED"), gate.out());
    assertTrue(gate.out().contains("failed to reproduce 'evaluate'"), gate.out());
    assertFalse(gate.out().contains("Running stage 'train'"), gate.out());
  }

  private void edit(String from, String to) throws IOException {
    Path cfg = work.resolve("conf/config.yaml");
    String s = Files.readString(cfg);
    assertTrue(s.contains(from), "config has '" + from + "'");
    Files.writeString(cfg, s.replace(from, to));
  }

  static Path repoRoot() {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("dvc.yaml"))) {
        return d;
      }
    }
    throw new AssertionError("repository root (dvc.yaml) not found");
  }

  static String sha256(Path f) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
  }

  static void delete(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (var s = Files.walk(p)) {
      for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    }
  }
}
