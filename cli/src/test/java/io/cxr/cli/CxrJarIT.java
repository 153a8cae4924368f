package io.cxr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.io.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipped jar, run as users run it: {@code java -jar cli/target/cxr.jar ...}. */
class CxrJarIT {
  @TempDir Path tmp;

  record Run(int code, String out, String err) {}

  static Run cxr(Path cwd, String... args) throws Exception {
    return cxr(cwd, java.util.Map.of(), args);
  }

  /** Runs the jar with extra environment variables (a value of null removes the variable). */
  static Run cxr(Path cwd, java.util.Map<String, String> env, String... args) throws Exception {
    List<String> cmd = command(args);
    Path out = Files.createTempFile("cxr", ".out");
    Path err = Files.createTempFile("cxr", ".err");
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(cwd.toFile())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    env.forEach(
        (k, v) -> {
          if (v == null) {
            pb.environment().remove(k);
          } else {
            pb.environment().put(k, v);
          }
        });
    Process p = pb.start();
    assertTrue(p.waitFor(10, TimeUnit.MINUTES), "cxr " + String.join(" ", args) + " finished");
    return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  /** {@code java -jar cli/target/cxr.jar <args>} with this JVM's java. */
  static List<String> command(String... args) {
    Path jar = Path.of(System.getProperty("cxr.jar", "target/cxr.jar")).toAbsolutePath();
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                jar.toString()));
    cmd.addAll(List.of(args));
    return cmd;
  }

  @Test
  void versionAndHelp() throws Exception {
    Run v = cxr(tmp, "--version");
    assertEquals(0, v.code(), v.err());
    assertTrue(v.out().contains("1.0.0-M2.1"), v.out());
    // the jar knows its own version (runs it made were tagged cxr_version "dev")
    assertTrue(v.out().matches("(?s)cxr \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\n.*"), v.out());
  }

  @Test
  void prepareWritesTensorsThatNumpyLoads() throws Exception {
    Path npz = Cli.sharedData().resolve("pneumoniamnist/pneumoniamnist.npz");
    Run r = cxr(tmp, "prepare", "--source", npz.toString(), "data.max_per_class=100");
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(Files.isRegularFile(tmp.resolve("data/prepared/manifest.json")));
    Path python = python();
    Process p =
        new ProcessBuilder(
                python.toString(),
                "-c",
                "import numpy as np, json\n"
                    + "x = np.load('data/prepared/x_test.npy'); y = np.load('data/prepared/y_test.npy')\n"
                    + "print(x.shape, x.dtype, y.dtype, int(y.sum()), bool(x.min() >= 0 and 0.9 < x.max() <= 1))")
            .directory(tmp.toFile())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertEquals(0, p.waitFor(), out);
    assertEquals("(200, 1, 28, 28) float32 uint8 100 True", out);
  }

  @Test
  void badInputExitsTwoWithOneLine() throws Exception {
    Run r = cxr(tmp, "prepare", "data.image_size=0");
    assertEquals(2, r.code(), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().contains("data.image_size"), r.err());
    assertTrue(!Files.exists(tmp.resolve("data/prepared")));
  }

  @Test
  void nonAsciiPathsWorkUnderTheCLocale() throws Exception {
    Path root = tmp.resolve("Röntgen ünï");
    for (String label : List.of("NORMAL", "PNEUMONIA")) {
      Path dir = Files.createDirectories(root.resolve("train").resolve(label));
      try (var s = Files.list(Cli.sharedData().resolve("chest_xray_224/train").resolve(label))) {
        for (Path f : s.sorted().limit(150).toList()) {
          Files.copy(f, dir.resolve(f.getFileName()));
        }
      }
    }
    Path some = root.resolve("train/NORMAL/IM-0115-0001.jpeg");
    Files.move(some, some.resolveSibling("IM-0115-0001 é.jpeg"));
    java.util.Map<String, String> cLocale = new java.util.HashMap<>();
    cLocale.put("LC_ALL", "C");
    cLocale.put("LANG", "C");
    cLocale.put("LC_CTYPE", null);
    Run r =
        cxr(
            tmp,
            cLocale,
            "prepare",
            "--source",
            root.toString(),
            "paths.prepared=" + tmp.resolve("präpariert"),
            "data.folder_image_size=16");
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(
        Files.readString(tmp.resolve("präpariert/samples.csv")).contains("IM-0115-0001 é.jpeg"));
    Run missing = cxr(tmp, cLocale, "prepare", "--source", root.resolve("fehlt-ü").toString());
    assertEquals(2, missing.code(), missing.err());
    assertTrue(missing.err().contains("fehlt-ü"), "the path named as given: " + missing.err());
  }

  @Test
  void underLcAllCTheRelaunchedCxrEndsWithItsParent(@TempDir Path tmp) throws Exception {
    List<String> cmd = command("train", "train.epochs=500", "paths.prepared=" + prepared(tmp));
    for (boolean kill : new boolean[] {true, false}) {
      ProcessBuilder pb =
          new ProcessBuilder(cmd)
              .directory(tmp.toFile())
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(ProcessBuilder.Redirect.DISCARD);
      pb.environment().put("LC_ALL", "C");
      pb.environment().put("LANG", "C");
      pb.environment().remove("LC_CTYPE");
      Process parent = pb.start();
      ProcessHandle child = null;
      for (int i = 0; i < 600 && child == null; i++) {
        child = parent.toHandle().children().findFirst().orElse(null);
        Thread.sleep(100);
      }
      assertTrue(child != null, "the relaunched cxr started");
      Thread.sleep(3000); // let it get to training
      if (kill) {
        parent.destroyForcibly(); // SIGKILL: no hook of the parent runs
      } else {
        parent.destroy(); // SIGTERM: the parent's hook stops the child
      }
      assertTrue(parent.waitFor(60, TimeUnit.SECONDS));
      ProcessHandle c = child;
      assertTrue(
          c.onExit().thenApply(h -> true).completeOnTimeout(false, 60, TimeUnit.SECONDS).get(),
          (kill ? "SIGKILL" : "SIGTERM") + ": the child ended with its parent");
    }
  }

  /** A small prepared PneumoniaMNIST under {@code tmp} for a long-running train. */
  private static Path prepared(Path tmp) throws Exception {
    Path p = tmp.resolve("prepared");
    Run r =
        cxr(
            tmp,
            "prepare",
            "--source",
            Cli.sharedData().resolve("pneumoniamnist/pneumoniamnist.npz").toString(),
            "data.max_per_class=200",
            "paths.prepared=" + p);
    assertEquals(0, r.code(), r.err());
    return p;
  }

  /** The project venv's python (scripts/venv.sh); required under CI. */
  static Path python() throws IOException {
    String env = System.getenv("CXR_PYTHON");
    if (env != null) {
      return Path.of(env);
    }
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      Path py = d.resolve(".venv/bin/python");
      if (Files.isExecutable(py)) {
        return py;
      }
    }
    if ("true".equals(System.getenv("CI"))) {
      throw new AssertionError("no project venv (.venv/bin/python): run scripts/venv.sh");
    }
    Assumptions.abort("no project venv: run scripts/venv.sh to include the numpy check");
    return null;
  }

  /**
   * {@code cxr serve} as shipped and as the README's "Serving the champion" shows it: its two lines
   * run as written (the jar's path aside) in a folder with a {@code models/model.zip} and the
   * shared data at {@code ../shared/data}; it says where it listens, the README's curl gets a
   * prediction, and on SIGTERM (what docker stop and Airflow send) it finishes and exits 0.
   */
  @Test
  void theReadmesServeLinesAnswerAndServeEndsCleanlyOnSigterm() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md").toAbsolutePath().normalize());
    java.util.regex.Matcher block =
        java.util.regex.Pattern.compile(
                "## Serving the champion\\s+```sh\\n(.*?)\\n```", java.util.regex.Pattern.DOTALL)
            .matcher(readme);
    assertTrue(block.find(), "README has a 'Serving the champion' sh block");
    List<String> shown = block.group(1).lines().toList();
    assertEquals(2, shown.size(), shown.toString());
    String serveLine = shown.get(0);
    assertTrue(serveLine.startsWith("java -jar cli/target/cxr.jar serve "), serveLine);
    Path work = Files.createDirectories(tmp.resolve("readme/checkout"));
    Files.createDirectories(work.resolve("models"));
    Files.copy(TrainedWorkspace.model(), work.resolve("models/model.zip"));
    Files.createSymbolicLink(
        tmp.resolve("readme/shared"), Cli.sharedData().toAbsolutePath().getParent());
    List<String> serve =
        command(serveLine.substring("java -jar cli/target/cxr.jar ".length()).split(" "));
    Process p =
        new ProcessBuilder(serve).directory(work.toFile()).redirectErrorStream(true).start();
    java.io.BufferedReader lines =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(
                p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
    String url = null;
    StringBuffer seen = new StringBuffer(); // the drain thread appends too
    while (url == null) {
      String l = lines.readLine();
      if (l == null) {
        break;
      }
      seen.append(l).append('\n');
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("on (http://127\\.0\\.0\\.1:8090)").matcher(l);
      if (m.find()) {
        url = m.group(1);
      }
    }
    assertTrue(url != null, "no 'serving ... on http://...' line: " + seen);
    Thread drain =
        new Thread(
            () -> {
              try {
                for (String l = lines.readLine(); l != null; l = lines.readLine()) {
                  seen.append(l).append('\n');
                }
              } catch (java.io.IOException e) {
                // the process ended
              }
            });
    drain.setDaemon(true);
    drain.start();
    Process curl =
        new ProcessBuilder("bash", "-c", shown.get(1))
            .directory(work.toFile())
            .redirectErrorStream(true)
            .start();
    String answer = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, curl.waitFor(), answer);
    JsonNode prediction = Json.JSON.readTree(answer).path("predictions").path(0);
    assertTrue(prediction.has("probability"), answer);
    assertTrue(prediction.path("label").isTextual(), answer);
    p.destroy(); // SIGTERM
    assertTrue(p.waitFor(1, TimeUnit.MINUTES), "ended after SIGTERM");
    assertEquals(0, p.exitValue(), "exit 0 after SIGTERM: " + seen);
  }
}
