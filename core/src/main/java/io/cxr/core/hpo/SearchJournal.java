package io.cxr.core.hpo;

import com.fasterxml.jackson.core.type.TypeReference;
import io.cxr.core.CxrException;
import io.cxr.core.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code cxr optimize --resume} needs after a kill: the search's identity (a hash of its base
 * config, overrides and space), its parent run, and every finished trial (params, outcome, nested
 * run, best-so-far AUC curve for the pruner). Rewritten atomically after each trial; removed when
 * the search ends. Trials in flight at the kill are not in it and run again.
 *
 * @param signature what must match for a resume (config, overrides and space, hashed)
 * @param experimentId the tracking experiment of the parent run
 * @param parentRunId the search's parent run, continued by the resume
 * @param trials finished trials in the order they finished
 */
public record SearchJournal(
    String signature, String experimentId, String parentRunId, List<Entry> trials) {

  /** One finished trial. */
  public record Entry(
      int number,
      Map<String, String> params,
      TrialState state,
      double score,
      int epochs,
      int bestEpoch,
      double threshold,
      double seconds,
      String runId,
      double[] curve) {

    /** This entry as recorded under another run id (a trial read back from a tracking server). */
    public Entry withRunId(String id) {
      return new Entry(
          number, params, state, score, epochs, bestEpoch, threshold, seconds, id, curve);
    }

    public static Entry of(Trial t) {
      Map<String, String> p = new LinkedHashMap<>();
      t.params().forEach((k, v) -> p.put(k, SearchSpace.flow(v)));
      return new Entry(
          t.number(),
          p,
          t.state(),
          t.score(),
          t.epochs(),
          t.bestEpoch(),
          t.threshold(),
          t.seconds(),
          t.runId(),
          t.curve());
    }
  }

  public SearchJournal {
    trials = trials == null ? null : List.copyOf(trials);
  }

  /** A new journal with one more finished trial. */
  public SearchJournal with(Trial t) {
    List<Entry> all = new ArrayList<>(trials);
    all.add(Entry.of(t));
    return new SearchJournal(signature, experimentId, parentRunId, all);
  }

  /** The finished trials by number. */
  public Map<Integer, Entry> byNumber() {
    Map<Integer, Entry> m = new LinkedHashMap<>();
    trials.forEach(e -> m.put(e.number(), e));
    return m;
  }

  public void save(Path file) {
    Json.writeJson(file, this);
  }

  /** Reads a journal; a missing or unreadable one is a one-line error naming the file. */
  public static SearchJournal read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new CxrException(
          "--resume: no search journal at "
              + file
              + " (nothing to resume: the search finished, or never ran with these paths)");
    }
    try {
      SearchJournal j = Json.JSON.readValue(file.toFile(), new TypeReference<SearchJournal>() {});
      if (j.signature() == null || j.parentRunId() == null || j.trials() == null) {
        throw new CxrException(
            "search journal " + file + ": incomplete (expected signature, parent run and trials)");
      }
      return j;
    } catch (IOException e) {
      throw new CxrException("search journal " + file + ": unreadable (" + e.getMessage() + ")");
    }
  }
}
