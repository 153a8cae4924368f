package io.cxr.core.hpo;

import io.cxr.core.io.AtomicFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a search leaves for people: {@code trials.csv}, a score-per-trial plot and plots of the
 * parameters that rank-correlate most with the score.
 */
public final class TrialReports {
  private TrialReports() {}

  /** Writes the reports into {@code dir}; returns their file names. */
  public static List<String> write(List<Trial> trials, List<String> keys, Path dir) {
    List<String> files = new ArrayList<>(List.of("trials.csv", "trial_scores.png"));
    writeCsv(trials, keys, dir.resolve("trials.csv"));
    TrialPlots.scores(trials, dir.resolve("trial_scores.png"));
    files.addAll(TrialPlots.importance(trials, keys, dir));
    return files;
  }

  /** A sample as {@code name=value} words, for a trial's one-line summary. */
  static String describe(Map<String, Object> sample) {
    List<String> parts = new ArrayList<>();
    sample.forEach(
        (k, v) -> parts.add(k.substring(k.lastIndexOf('.') + 1) + "=" + SearchSpace.flow(v)));
    return String.join(" ", parts);
  }

  private static void writeCsv(List<Trial> trials, List<String> keys, Path file) {
    StringBuilder sb = new StringBuilder("trial,state,val_auc,epochs,seconds,run_id");
    keys.forEach(k -> sb.append(',').append(k));
    sb.append('\n');
    for (Trial t : trials) {
      sb.append(
          String.format(
              Locale.ROOT,
              "%d,%s,%.6f,%d,%.1f,%s",
              t.number(),
              t.state(),
              t.score(),
              t.epochs(),
              t.seconds(),
              t.runId()));
      for (String k : keys) {
        sb.append(",\"").append(SearchSpace.flow(t.params().get(k))).append('"');
      }
      sb.append('\n');
    }
    AtomicFiles.writeString(file, sb.toString());
  }
}
