package io.cxr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cxr optimize --resume} after a real {@code kill -9}, on real PneumoniaMNIST images: the
 * trials finished before the kill are not run again (one FINISHED nested run each), the search
 * continues in the same parent run, and it ends with the best trial and best config of an
 * uninterrupted search with the same seed.
 */
class OptimizeResumeIT {
  @TempDir Path tmp;

  @Test
  void aSearchKilledAfterTwoTrialsResumesWithoutRerunningThemToTheUninterruptedResult()
      throws Exception {
    Path npz = Cli.sharedData().resolve("pneumoniamnist/pneumoniamnist.npz");
    String[] common =
        Cli.concat(
            Cli.isolated(tmp),
            "hpo.trials=4",
            "hpo.parallel=1",
            "train.epochs=2",
            "model.cnn.dense_units=32");
    CxrJarIT.Run prep =
        CxrJarIT.cxr(
            tmp,
            Cli.concat(
                Cli.concat(new String[] {"prepare", "--quiet", "--source", npz.toString()}, common),
                "data.max_per_class=200"));
    assertEquals(0, prep.code(), prep.err());

    CxrJarIT.Run whole =
        CxrJarIT.cxr(
            tmp,
            Cli.concat(
                Cli.concat(new String[] {"optimize"}, common),
                "paths.artifacts=" + tmp.resolve("whole"),
                "hpo.output=" + tmp.resolve("whole/best.yaml")));
    assertEquals(0, whole.code(), whole.err());
    assertFalse(Files.exists(tmp.resolve("whole/cxr/hpo/journal.json")), "removed at the end");

    String[] killed =
        Cli.concat(
            common,
            "paths.artifacts=" + tmp.resolve("killed"),
            "hpo.output=" + tmp.resolve("killed/best.yaml"));
    Path journal = tmp.resolve("killed/cxr/hpo/journal.json");
    Process p =
        new ProcessBuilder(CxrJarIT.command(Cli.concat(new String[] {"optimize"}, killed)))
            .directory(tmp.toFile())
            .redirectOutput(tmp.resolve("killed.out").toFile())
            .redirectError(tmp.resolve("killed.err").toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    while (System.nanoTime() < deadline && trialsIn(journal) < 2 && p.isAlive()) {
      Thread.sleep(50);
    }
    p.destroyForcibly(); // SIGKILL
    assertTrue(p.waitFor(1, TimeUnit.MINUTES));
    int finished = trialsIn(journal);
    assertTrue(
        finished >= 2 && finished < 4,
        "killed after " + finished + " trials: " + Files.readString(tmp.resolve("killed.out")));
    String parent = Json.JSON.readTree(journal.toFile()).path("parentRunId").asText();

    CxrJarIT.Run resumed =
        CxrJarIT.cxr(tmp, Cli.concat(new String[] {"optimize", "--resume"}, killed));
    assertEquals(0, resumed.code(), resumed.out() + resumed.err());
    assertTrue(
        resumed.out().contains(finished + " finished trial(s)"), resumed.out() + resumed.err());
    assertEquals(finished, count(resumed.out() + resumed.err(), "(journal)"));
    assertEquals(best(whole.out()), best(resumed.out()), "the same best trial and val_auc");
    assertEquals(
        withoutComments(tmp.resolve("whole/best.yaml")).stream()
            .map(l -> l.replace(tmp.resolve("whole").toString(), tmp.resolve("killed").toString()))
            .toList(),
        withoutComments(tmp.resolve("killed/best.yaml")),
        "the same best config (but for the two paths that differ on purpose)");
    assertFalse(Files.exists(journal), "nothing left to resume");

    // one FINISHED nested run per trial: the journal's trials did not run again
    Path mlruns = tmp.resolve("mlruns");
    List<Path> trials = runsOf(mlruns, parent);
    long finishedRuns = trials.stream().filter(r -> status(r).equals("3")).count();
    assertEquals(4, finishedRuns, "4 trials, each FINISHED once");
    assertTrue(
        trials.size() <= 5, "at most the one trial in flight at the kill ran twice: " + trials);
    Path parentDir = runDir(mlruns, parent);
    assertEquals("3", status(parentDir), "the parent run continued and FINISHED");
    assertTrue(Files.exists(parentDir.resolve("tags/cxr.resumed")));

    CxrJarIT.Run again =
        CxrJarIT.cxr(tmp, Cli.concat(new String[] {"optimize", "--resume"}, killed));
    assertEquals(2, again.code(), again.err());
    assertTrue(again.err().contains("no search journal"), again.err());
  }

  private static int trialsIn(Path journal) {
    try {
      JsonNode j = Json.JSON.readTree(journal.toFile());
      return j.path("trials").size();
    } catch (IOException e) {
      return 0; // not written yet, or being replaced
    }
  }

  private static String best(String out) {
    Matcher m = Pattern.compile("best: trial \\d+, val_auc [0-9.]+").matcher(out);
    assertTrue(m.find(), out);
    return m.group();
  }

  private static List<String> withoutComments(Path yaml) throws IOException {
    return Files.readAllLines(yaml).stream().filter(l -> !l.startsWith("#")).toList();
  }

  private static int count(String text, String word) {
    return text.split(Pattern.quote(word), -1).length - 1;
  }

  private static List<Path> runsOf(Path mlruns, String parent) throws IOException {
    try (Stream<Path> all = Files.walk(mlruns, 2)) {
      return all.filter(d -> Files.isRegularFile(d.resolve("tags/mlflow.parentRunId")))
          .filter(d -> read(d.resolve("tags/mlflow.parentRunId")).equals(parent))
          .filter(d -> read(d.resolve("tags/mlflow.runName")).startsWith("trial-"))
          .toList();
    }
  }

  private static Path runDir(Path mlruns, String runId) throws IOException {
    try (Stream<Path> all = Files.walk(mlruns, 2)) {
      return all.filter(d -> d.getFileName().toString().equals(runId)).findFirst().orElseThrow();
    }
  }

  private static String status(Path runDir) {
    Matcher m = Pattern.compile("status: (\\d)").matcher(read(runDir.resolve("meta.yaml")));
    return m.find() ? m.group(1) : "?";
  }

  private static String read(Path f) {
    try {
      return Files.readString(f).trim();
    } catch (IOException e) {
      return "";
    }
  }
}
