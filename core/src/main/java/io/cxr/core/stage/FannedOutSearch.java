package io.cxr.core.stage;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.config.SearchStrategy;
import io.cxr.core.hpo.Candidates;
import io.cxr.core.hpo.MedianPruner;
import io.cxr.core.hpo.SearchJournal;
import io.cxr.core.hpo.SearchSpace;
import io.cxr.core.hpo.Trial;
import io.cxr.core.hpo.TrialRunner;
import io.cxr.core.hpo.TrialState;
import io.cxr.core.io.Json;
import io.cxr.core.tracking.FileStore;
import io.cxr.core.tracking.MirroredTracker;
import io.cxr.core.tracking.RunJanitor;
import io.cxr.core.tracking.RunStatus;
import io.cxr.core.tracking.TrackedRun;
import io.cxr.core.tracking.Tracker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.deeplearning4j.arbiter.optimize.api.CandidateGenerator;

/**
 * {@code cxr optimize} fanned out over processes or machines (Airflow's mapped tasks): {@link
 * #plan} draws the candidates from the same seeded generator as a local search and opens the parent
 * run, left RUNNING for the later steps; {@link #trial} runs one candidate as a nested run anywhere
 * that reaches the same tracking store, its pruner fed with the trials already completed; {@link
 * #select} reads the nested runs back, ends the attempts that died (a killed worker's run) FAILED,
 * counts each trial once, and finishes as a local search does (best config, parent metrics, refit).
 *
 * <p>Only strategies whose candidates do not depend on earlier results fan out: random and grid.
 * Every trial's outcome is the {@value TrialRunner#RECORD} artifact of its nested run.
 */
public final class FannedOutSearch {
  private FannedOutSearch() {}

  /**
   * A search's plan, written by {@link #plan} to {@link #planFile}.
   *
   * @param signature the search's identity (config, overrides and space, hashed)
   * @param experimentId the tracking experiment of the parent run
   * @param parentRunId the parent run (local store id)
   * @param parentRemoteRunId its id on the tracking server, or null
   * @param trials the candidates, numbered from 1
   */
  public record Plan(
      String signature,
      String experimentId,
      String parentRunId,
      String parentRemoteRunId,
      String strategy,
      List<Planned> trials) {
    public Plan {
      trials = trials == null ? null : List.copyOf(trials);
    }

    /** The short form a scheduler passes on (Airflow's XCom): parent and trial numbers. */
    public String summaryJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("parent_run_id", parentRemoteRunId != null ? parentRemoteRunId : parentRunId);
      m.put("trials", trials.stream().map(Planned::number).toList());
      try {
        return Json.JSON
            .writer()
            .without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
            .writeValueAsString(m);
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** One planned candidate: its number and sampled values (as logged). */
  public record Planned(int number, Map<String, String> params) {}

  /** Where the plan of a search with this config lives. */
  public static Path planFile(CxrConfig base) {
    return base.experimentArtifacts().resolve("hpo").resolve("plan.json");
  }

  /** Draws the candidates, opens the parent run and writes the plan. */
  public static Plan plan(
      CxrConfig base, Path configFile, List<String> overrides, Tracker tracker, Reporter reporter) {
    if (base.hpo().strategy() == SearchStrategy.GENETIC) {
      throw new CxrException(
          "hpo.strategy=genetic: its candidates are bred from earlier trials' results, so they"
              + " cannot be planned up front; a fanned-out search takes random or grid");
    }
    OptimizeStage.Search s =
        new OptimizeStage.Search(base, configFile, overrides, false, tracker, reporter);
    s.check();
    List<Map<String, Object>> samples = samples(base, s.space, base.hpo().trials());
    List<Planned> planned = new ArrayList<>();
    for (int i = 0; i < samples.size(); i++) {
      planned.add(new Planned(i + 1, flow(samples.get(i))));
    }
    var spec = s.parentSpec();
    Map<String, String> tags = new LinkedHashMap<>(spec.tags());
    tags.put("cxr.search", "fanned-out");
    TrackedRun parent = tracker.start(spec.experiment(), spec.runName(), tags, null);
    try {
      parent.logParams(io.cxr.core.tracking.RunInfo.params(base));
      Plan plan =
          new Plan(
              s.signature,
              parent.experimentId(),
              parent.runId(),
              parent.remoteRunId(),
              base.hpo().strategy().name().toLowerCase(java.util.Locale.ROOT),
              planned);
      Path file = planFile(base);
      Json.writeJson(file, plan);
      parent.logArtifact(file, "hpo");
      parent.detach(
          "fanned-out search: trials run by `cxr optimize --trial N`, ended by `cxr optimize"
              + " --select`");
      reporter.info(
          "planned "
              + planned.size()
              + " trials under parent run "
              + parent.runId()
              + " ("
              + tracker.describe()
              + "); plan in "
              + file);
      return plan;
    } catch (RuntimeException e) {
      parent.end(RunStatus.FAILED);
      throw e;
    }
  }

  /** Runs trial {@code number} of the plan as a nested run of its parent. */
  public static Trial trial(
      CxrConfig base,
      Path configFile,
      List<String> overrides,
      int number,
      Tracker tracker,
      Reporter reporter) {
    Opened o = open(base, configFile, overrides, false, tracker, reporter);
    OptimizeStage.Search s = o.search();
    Plan plan = o.plan();
    Planned p =
        plan.trials().stream()
            .filter(t -> t.number() == number)
            .findFirst()
            .orElseThrow(
                () ->
                    new CxrException(
                        "--trial "
                            + number
                            + ": the plan "
                            + planFile(base)
                            + " has trials 1 to "
                            + plan.trials().size()));
    Map<String, Object> sample = sampleOf(samples(base, s.space, number), p);
    MedianPruner pruner = s.pruner();
    records(tracker, plan).values().stream()
        .flatMap(List::stream)
        .filter(a -> a.record() != null && a.record().state() == TrialState.COMPLETE)
        .forEach(a -> pruner.complete(a.record().curve()));
    return s.runner(plan.parentRunId(), pruner).run(number, sample);
  }

  /**
   * Reads the trials back, ends dead attempts FAILED, and finishes the search on its parent run.
   */
  public static OptimizeStage.Result select(
      CxrConfig base,
      Path configFile,
      List<String> overrides,
      boolean refit,
      Tracker tracker,
      Reporter reporter) {
    Opened o = open(base, configFile, overrides, refit, tracker, reporter);
    OptimizeStage.Search s = o.search();
    Plan plan = o.plan();
    Collected c = collect(base, s, plan, tracker, reporter);
    TrackedRun parent = tracker.resume(plan.experimentId(), plan.parentRunId());
    if (parent == null) {
      throw new CxrException(
          "--select: the search's parent run "
              + plan.parentRunId()
              + " is not in "
              + tracker.describe());
    }
    reporter.info(
        "selecting among "
            + c.trials().size()
            + " trials ("
            + c.retried()
            + " retried attempt(s), "
            + c.dead()
            + " dead run(s) ended FAILED)");
    return tracker.within(
        parent,
        run -> {
          run.logMetrics(
              Map.of(
                  "trial_attempts_retried", (double) c.retried(),
                  "trial_runs_dead", (double) c.dead()),
              0);
          return s.finish(run, c.trials());
        });
  }

  /** The planned trials as their kept attempts left them, and what was not kept. */
  private record Collected(List<Trial> trials, int retried, int dead) {}

  /**
   * Each planned trial once: its latest attempt that finished (or FAILED when none did); attempts
   * left RUNNING by dead workers are ended FAILED.
   */
  private static Collected collect(
      CxrConfig base, OptimizeStage.Search s, Plan plan, Tracker tracker, Reporter reporter) {
    Map<Integer, List<Attempt>> attempts = records(tracker, plan);
    TrialRunner runner = s.runner(plan.parentRunId(), s.pruner());
    List<Map<String, Object>> drawn = samples(base, s.space, plan.trials().size());
    List<Trial> trials = new ArrayList<>();
    int retried = 0;
    int dead = 0;
    for (Planned p : plan.trials()) {
      List<Attempt> all = attempts.getOrDefault(p.number(), List.of());
      retried += Math.max(0, all.size() - 1);
      Attempt kept = null;
      for (Attempt a : all) {
        if (a.record() != null) {
          kept = a; // the latest attempt that finished (they are in start order)
        }
      }
      for (Attempt a : all) {
        if (a != kept && a.status() == RunStatus.RUNNING) {
          endDead(tracker, plan, a, reporter);
          dead++;
        }
      }
      Map<String, Object> sample = sampleOf(drawn, p);
      trials.add(
          kept != null
              ? runner.replayed(p.number(), sample, kept.record())
              : failed(p.number(), sample, s.space.trialConfig(base, sample)));
    }
    return new Collected(trials, retried, dead);
  }

  /** A planned trial no attempt finished: failed, scored 0. */
  private static Trial failed(int number, Map<String, Object> sample, CxrConfig cfg) {
    return new Trial(
        number, sample, TrialState.FAILED, 0, 0, 0, Double.NaN, 0, null, cfg, new double[0]);
  }

  /** One nested run of the parent: a trial's attempt, with its record when it finished. */
  record Attempt(String runId, RunStatus status, long startTime, SearchJournal.Entry record) {}

  /** The parent's nested runs by trial number, each trial's attempts in start order. */
  static Map<Integer, List<Attempt>> records(Tracker tracker, Plan plan) {
    if (!(tracker instanceof MirroredTracker m)) {
      return Map.of();
    }
    FileStore store = m.local();
    Map<Integer, List<Attempt>> out = new TreeMap<>();
    for (FileStore.StoredRun r : store.runs()) {
      if (!r.experimentId().equals(plan.experimentId())
          || !plan.parentRunId().equals(r.tags().get("mlflow.parentRunId"))
          || r.tags().get("trial") == null) {
        continue;
      }
      int number;
      try {
        number = Integer.parseInt(r.tags().get("trial"));
      } catch (NumberFormatException e) {
        continue;
      }
      out.computeIfAbsent(number, k -> new ArrayList<>())
          .add(new Attempt(r.runId(), r.status(), r.startTime(), record(r)));
    }
    out.values().forEach(l -> l.sort(Comparator.comparingLong(Attempt::startTime)));
    return out;
  }

  /** A nested run's trial record, or null when it has none (it died before the end). */
  private static SearchJournal.Entry record(FileStore.StoredRun r) {
    Path f = r.artifacts() == null ? null : r.artifacts().resolve(TrialRunner.RECORD);
    if (f == null || !Files.isRegularFile(f) || r.status() == RunStatus.RUNNING) {
      return null;
    }
    try {
      return Json.JSON.readValue(f.toFile(), SearchJournal.Entry.class);
    } catch (IOException e) {
      return null;
    }
  }

  /** Ends an attempt whose worker died (it never wrote its record) FAILED, with the reason. */
  private static void endDead(Tracker tracker, Plan plan, Attempt a, Reporter reporter) {
    TrackedRun run = tracker.resume(plan.experimentId(), a.runId());
    if (run == null) {
      return;
    }
    run.setTags(
        Map.of(
            RunJanitor.RECOVERED,
            "attempt ended without a trial record (its worker died); marked FAILED by cxr optimize"
                + " --select",
            "trial_state",
            TrialState.FAILED.name()));
    run.end(RunStatus.FAILED);
    reporter.warn("trial run " + a.runId() + " had died without finishing: marked FAILED");
  }

  /** A planned search as a later step sees it: the search of this config, and its plan. */
  private record Opened(OptimizeStage.Search search, Plan plan) {}

  private static Opened open(
      CxrConfig base,
      Path configFile,
      List<String> overrides,
      boolean refit,
      Tracker tracker,
      Reporter reporter) {
    var s = new OptimizeStage.Search(base, configFile, overrides, refit, tracker, reporter);
    return new Opened(s, readPlan(base, s.signature));
  }

  /** The plan of this search; a missing one, or one of another search, is a one-line error. */
  static Plan readPlan(CxrConfig base, String signature) {
    Path file = planFile(base);
    if (!Files.isRegularFile(file)) {
      throw new CxrException(
          "no search plan at " + file + " (run `cxr optimize --plan` with this config first)");
    }
    Plan plan;
    try {
      plan = Json.JSON.readValue(file.toFile(), Plan.class);
    } catch (JsonProcessingException e) {
      throw new CxrException(
          "search plan " + file + ": unreadable (" + e.getOriginalMessage() + ")");
    } catch (IOException e) {
      throw new CxrException("search plan " + file + ": unreadable (" + e.getMessage() + ")");
    }
    if (plan.parentRunId() == null || plan.trials() == null || plan.signature() == null) {
      throw new CxrException(
          "search plan " + file + ": incomplete (expected signature, parentRunId and trials)");
    }
    if (!plan.signature().equals(signature)) {
      throw new CxrException(
          "search plan "
              + file
              + " is of another search (its config or overrides differ from these); give the"
              + " planned search's config and overrides");
    }
    return plan;
  }

  /** The first {@code n} candidates of the seeded generator (fewer when a grid runs dry). */
  static List<Map<String, Object>> samples(CxrConfig base, SearchSpace space, int n) {
    CandidateGenerator gen = Candidates.generator(base, space);
    List<Map<String, Object>> out = new ArrayList<>();
    while (out.size() < n && gen.hasMoreCandidates()) {
      @SuppressWarnings("unchecked")
      Map<String, Object> sample = (Map<String, Object>) gen.getCandidate().getValue();
      out.add(sample);
    }
    return out;
  }

  /**
   * A planned trial's values from the generator's candidates drawn again ({@code drawn}, at least
   * up to that trial), checked against the plan.
   */
  private static Map<String, Object> sampleOf(List<Map<String, Object>> drawn, Planned p) {
    Map<String, Object> sample = drawn.size() < p.number() ? null : drawn.get(p.number() - 1);
    if (sample == null || !flow(sample).equals(p.params())) {
      throw new CxrException(
          "trial "
              + p.number()
              + ": the plan has "
              + p.params()
              + " but this config's generator proposes "
              + (sample == null ? "no such trial" : flow(sample))
              + " (plan again)");
    }
    return sample;
  }

  private static Map<String, String> flow(Map<String, Object> sample) {
    Map<String, String> m = new LinkedHashMap<>();
    sample.forEach((k, v) -> m.put(k, SearchSpace.flow(v)));
    return m;
  }
}
