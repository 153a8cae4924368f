package io.cxr.core.stage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.config.SearchStrategy;
import io.cxr.core.data.PreparedDataset;
import io.cxr.core.hpo.Candidates;
import io.cxr.core.hpo.MedianPruner;
import io.cxr.core.hpo.SearchJournal;
import io.cxr.core.hpo.SearchSpace;
import io.cxr.core.hpo.Trial;
import io.cxr.core.hpo.TrialRunner;
import io.cxr.core.hpo.TrialState;
import io.cxr.core.io.AtomicFiles;
import io.cxr.core.io.Hashing;
import io.cxr.core.io.Json;
import io.cxr.core.io.WorkspaceLock;
import io.cxr.core.tracking.FileStore;
import io.cxr.core.tracking.MirroredTracker;
import io.cxr.core.tracking.MlflowRemote;
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
   * @param dataManifestSha256 the prepared data's identity (its manifest hashed), or null
   * @param dataArtifacts where on the server the parent run holds that data, or null (no server)
   */
  public record Plan(
      String signature,
      String experimentId,
      String parentRunId,
      String parentRemoteRunId,
      String strategy,
      List<Planned> trials,
      String dataManifestSha256,
      String dataArtifacts) {
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
    tags.put(SIGNATURE_TAG, s.signature);
    TrackedRun parent = tracker.start(spec.experiment(), spec.runName(), tags, null);
    try {
      parent.logParams(io.cxr.core.tracking.RunInfo.params(base));
      MlflowRemote remote = remoteOf(tracker);
      boolean shared = remote != null && parent.remoteRunId() != null;
      if (shared) {
        // before the plan: a step that finds the plan on the server finds the data too
        pushData(remote, parent.remoteRunId(), s.data, reporter);
      }
      Plan plan =
          new Plan(
              s.signature,
              parent.experimentId(),
              parent.runId(),
              parent.remoteRunId(),
              base.hpo().strategy().name().toLowerCase(java.util.Locale.ROOT),
              planned,
              s.data.manifestSha256(),
              shared ? DATA_ARTIFACTS : null);
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
    records(base, tracker, plan, reporter).values().stream()
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
    if (tracker instanceof MirroredTracker m
        && Files.isRegularFile(
            m.local().runDir(plan.experimentId(), plan.parentRunId()).resolve("meta.yaml"))
        && m.local().read(plan.experimentId(), plan.parentRunId()).status() == RunStatus.FINISHED) {
      throw new CxrException(
          "--select: the search's parent run "
              + plan.parentRunId()
              + " has finished (this search was selected before); plan a new search to search"
              + " again");
    }
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
    Map<Integer, List<Attempt>> attempts = records(base, tracker, plan, reporter);
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

  /**
   * One nested run of the parent: a trial's attempt, with its record when it finished.
   *
   * @param onServer whether {@code runId} is the server's id (the attempts were read from it)
   */
  record Attempt(
      String runId,
      RunStatus status,
      long startTime,
      SearchJournal.Entry record,
      boolean onServer) {}

  /**
   * The parent's nested runs by trial number, each trial's attempts in start order: from the
   * tracking server when the search has its parent there (the trials of every host), else from the
   * local store.
   */
  static Map<Integer, List<Attempt>> records(
      CxrConfig base, Tracker tracker, Plan plan, Reporter reporter) {
    if (!(tracker instanceof MirroredTracker m)) {
      return Map.of();
    }
    if (m.remote() != null && plan.parentRemoteRunId() != null) {
      try {
        return serverRecords(base, m.remote(), plan);
      } catch (RuntimeException e) {
        reporter.warn(
            "tracking server "
                + m.remote().display()
                + " did not give the search's trials ("
                + MlflowRemote.firstLine(e.getMessage())
                + "); reading this host's store "
                + m.local().root()
                + " only");
      }
    }
    FileStore store = m.local();
    Map<Integer, List<Attempt>> out = new TreeMap<>();
    for (FileStore.StoredRun r : store.runs()) {
      if (!r.experimentId().equals(plan.experimentId())
          || !plan.parentRunId().equals(r.tags().get("mlflow.parentRunId"))) {
        continue;
      }
      Integer number = trialNumber(r.tags());
      if (number != null) {
        out.computeIfAbsent(number, k -> new ArrayList<>())
            .add(new Attempt(r.runId(), r.status(), r.startTime(), record(r), false));
      }
    }
    out.values().forEach(l -> l.sort(Comparator.comparingLong(Attempt::startTime)));
    return out;
  }

  /** The nested runs of the parent on the server, each finished one's record downloaded. */
  private static Map<Integer, List<Attempt>> serverRecords(
      CxrConfig base, MlflowRemote remote, Plan plan) {
    String experiment = remote.experimentId(base.experiment().name());
    Map<Integer, List<Attempt>> out = new TreeMap<>();
    for (JsonNode r :
        remote.searchRuns(
            experiment, "tags.mlflow.parentRunId = '" + plan.parentRemoteRunId() + "'")) {
      Integer number = trialNumber(MlflowRemote.tagsOf(r));
      if (number == null) {
        continue;
      }
      JsonNode info = r.path("info");
      String runId = info.path("run_id").asText();
      RunStatus status = RunStatus.valueOf(info.path("status").asText("RUNNING"));
      SearchJournal.Entry record = null;
      if (status != RunStatus.RUNNING) {
        record = serverRecord(remote, runId, info.path("artifact_uri").asText());
      }
      out.computeIfAbsent(number, k -> new ArrayList<>())
          .add(new Attempt(runId, status, info.path("start_time").asLong(), record, true));
    }
    out.values().forEach(l -> l.sort(Comparator.comparingLong(Attempt::startTime)));
    return out;
  }

  /** A server run's trial record (its run id the server's), or null when it has none. */
  private static SearchJournal.Entry serverRecord(
      MlflowRemote remote, String runId, String artifactUri) {
    if (!remote.artifactSizes(artifactUri, "").containsKey(TrialRunner.RECORD)) {
      return null; // it died before writing it
    }
    Path tmp = null;
    try {
      tmp = Files.createTempFile("cxr-trial", ".json");
      remote.downloadArtifact(artifactUri, TrialRunner.RECORD, tmp);
      return Json.JSON.readValue(tmp.toFile(), SearchJournal.Entry.class).withRunId(runId);
    } catch (IOException e) {
      return null; // unreadable: as if it had none
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // a temp file
        }
      }
    }
  }

  private static Integer trialNumber(Map<String, String> tags) {
    String t = tags.get("trial");
    if (t == null) {
      return null;
    }
    try {
      return Integer.parseInt(t);
    } catch (NumberFormatException e) {
      return null;
    }
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
    Map<String, String> tags =
        Map.of(
            RunJanitor.RECOVERED,
            "attempt ended without a trial record (its worker died); marked FAILED by cxr optimize"
                + " --select",
            "trial_state",
            TrialState.FAILED.name());
    String localId = a.onServer() ? localCopy(tracker, a.runId()) : a.runId();
    TrackedRun run = localId == null ? null : tracker.resume(plan.experimentId(), localId);
    if (run != null) {
      run.setTags(tags);
      run.end(RunStatus.FAILED);
    } else if (a.onServer()) {
      // it ran on another host: end it where it is recorded
      MlflowRemote remote = remoteOf(tracker);
      List<org.mlflow.api.proto.Service.RunTag> t = new ArrayList<>();
      tags.forEach(
          (k, v) ->
              t.add(
                  org.mlflow.api.proto.Service.RunTag.newBuilder().setKey(k).setValue(v).build()));
      remote.logBatch(a.runId(), List.of(), List.of(), t);
      remote
          .client()
          .setTerminated(
              a.runId(), org.mlflow.api.proto.Service.RunStatus.FAILED, System.currentTimeMillis());
    } else {
      return;
    }
    reporter.warn("trial run " + a.runId() + " had died without finishing: marked FAILED");
  }

  /** The id in this host's store of the run the server knows as {@code remoteRunId}, or null. */
  private static String localCopy(Tracker tracker, String remoteRunId) {
    if (!(tracker instanceof MirroredTracker m)) {
      return null;
    }
    return m.local().runs().stream()
        .filter(r -> remoteRunId.equals(r.tags().get("cxr.remote_run_id")))
        .map(FileStore.StoredRun::runId)
        .findFirst()
        .orElse(null);
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
    String signature = OptimizeStage.Search.signatureOf(base);
    Plan plan = resolvePlan(base, signature, tracker, reporter);
    pullData(base, plan, tracker, reporter);
    var s = new OptimizeStage.Search(base, configFile, overrides, refit, tracker, reporter);
    if (plan.dataManifestSha256() != null
        && !plan.dataManifestSha256().equals(s.data.manifestSha256())) {
      throw new CxrException(
          "paths.prepared "
              + s.data.dir()
              + ": not the data the search was planned on (manifest sha256 "
              + abbrev(s.data.manifestSha256())
              + ", planned "
              + abbrev(plan.dataManifestSha256())
              + "); prepare it with the planned config, or plan again");
    }
    return new Opened(s, plan);
  }

  private static String abbrev(String sha) {
    return sha == null ? "none" : sha.substring(0, Math.min(12, sha.length()));
  }

  /** The tag on a fanned-out search's parent run that names its search ({@link Plan#signature}). */
  static final String SIGNATURE_TAG = "cxr.hpo_signature";

  /** Where the parent run holds the prepared data on the server, for hosts that lack it. */
  static final String DATA_ARTIFACTS = "hpo/data";

  /** How long a step waits for another one of this host adopting the plan or pulling the data. */
  private static final java.time.Duration PATIENCE = java.time.Duration.ofMinutes(15);

  private static MlflowRemote remoteOf(Tracker tracker) {
    return tracker instanceof MirroredTracker m ? m.remote() : null;
  }

  /**
   * The plan of this search. With a tracking server, the search is the newest RUNNING fanned-out
   * parent with this signature there: a host whose own plan is of that parent uses it; any other
   * host (a worker that never saw the plan step) adopts it: the plan is downloaded from the
   * parent's artifacts and the parent gets a stand-in run in this host's store, so nested runs
   * started here are the server parent's children. Without a server, or when it has no such parent,
   * the local plan.
   */
  static Plan resolvePlan(CxrConfig base, String signature, Tracker tracker, Reporter reporter) {
    MlflowRemote remote = remoteOf(tracker);
    if (remote == null) {
      return readPlan(base, signature);
    }
    JsonNode parent;
    try {
      String experiment = remote.experimentId(base.experiment().name());
      List<JsonNode> found =
          remote.searchRuns(
              experiment,
              "tags.`"
                  + SIGNATURE_TAG
                  + "` = '"
                  + signature
                  + "' and attributes.status = 'RUNNING'");
      parent = found.isEmpty() ? null : found.get(0);
    } catch (RuntimeException e) {
      reporter.warn(
          "tracking server "
              + remote.display()
              + " did not answer ("
              + MlflowRemote.firstLine(e.getMessage())
              + "); using this host's plan "
              + planFile(base));
      return readPlan(base, signature);
    }
    if (parent == null) {
      return readPlan(base, signature);
    }
    Plan mine = ownPlanOf((MirroredTracker) tracker, base, signature, parent);
    if (mine != null) {
      return mine;
    }
    try (WorkspaceLock lock =
        WorkspaceLock.await(
            planFile(base), false, "search plan", "cxr optimize (adopting a plan)", PATIENCE)) {
      mine = ownPlanOf((MirroredTracker) tracker, base, signature, parent);
      return mine != null
          ? mine
          : adopt((MirroredTracker) tracker, base, signature, parent, reporter);
    }
  }

  /** This host's plan when it is of the server's parent run and its stand-in is here; else null. */
  private static Plan ownPlanOf(
      MirroredTracker tracker, CxrConfig base, String signature, JsonNode parent) {
    Path file = planFile(base);
    if (!Files.isRegularFile(file)) {
      return null;
    }
    Plan local;
    try {
      local = readPlan(base, signature);
    } catch (CxrException e) {
      return null; // another search's, or unreadable: the server's is adopted over it
    }
    String remoteId = parent.path("info").path("run_id").asText();
    boolean here =
        Files.isRegularFile(
            tracker.local().runDir(local.experimentId(), local.parentRunId()).resolve("meta.yaml"));
    return remoteId.equals(local.parentRemoteRunId()) && here ? local : null;
  }

  /** Takes the server's parent run and plan on as this host's (see {@link #resolvePlan}). */
  private static Plan adopt(
      MirroredTracker tracker,
      CxrConfig base,
      String signature,
      JsonNode parent,
      Reporter reporter) {
    MlflowRemote remote = tracker.remote();
    JsonNode info = parent.path("info");
    String remoteId = info.path("run_id").asText();
    Plan theirs = downloadPlan(remote, info);
    if (theirs.trials() == null || !signature.equals(theirs.signature())) {
      throw new CxrException(
          "the search plan of run "
              + remoteId
              + " on "
              + remote.display()
              + " is not of this search (expected signature "
              + abbrev(signature)
              + ")");
    }
    String standIn =
        tracker.adopt(
            base.experiment().name(),
            remoteId,
            info.path("run_name").asText("optimize"),
            info.path("start_time").asLong(System.currentTimeMillis()),
            Map.of("cxr.search", "fanned-out", SIGNATURE_TAG, signature));
    String experiment = tracker.local().experimentId(base.experiment().name());
    Plan mine =
        new Plan(
            theirs.signature(),
            experiment,
            standIn,
            remoteId,
            theirs.strategy(),
            theirs.trials(),
            theirs.dataManifestSha256(),
            theirs.dataArtifacts());
    Json.writeJson(planFile(base), mine);
    reporter.info(
        "adopted the search's parent run "
            + remoteId
            + " from "
            + remote.display()
            + " ("
            + mine.trials().size()
            + " trials planned; stand-in run "
            + standIn
            + " in "
            + tracker.local().root()
            + ")");
    return mine;
  }

  /** The plan.json of a parent run on the server. */
  private static Plan downloadPlan(MlflowRemote remote, JsonNode info) {
    String remoteId = info.path("run_id").asText();
    Path tmp = null;
    Plan theirs;
    try {
      tmp = Files.createTempFile("cxr-plan", ".json");
      remote.downloadArtifact(info.path("artifact_uri").asText(), "hpo/plan.json", tmp);
      theirs = Json.JSON.readValue(tmp.toFile(), Plan.class);
    } catch (IOException e) {
      throw new CxrException(
          "the search plan of run "
              + remoteId
              + " on "
              + remote.display()
              + ": unreadable ("
              + MlflowRemote.firstLine(e.getMessage())
              + ")");
    } finally {
      AtomicFiles.deleteRecursively(tmp);
    }
    return theirs;
  }

  /** Uploads the prepared data to the parent run on the server ({@value #DATA_ARTIFACTS}). */
  private static void pushData(
      MlflowRemote remote, String parentRemoteRunId, PreparedDataset data, Reporter reporter) {
    long t0 = System.nanoTime();
    String uri = remote.client().getRun(parentRemoteRunId).getInfo().getArtifactUri();
    long bytes = 0;
    int n = 0;
    for (Path f : dataFiles(data.dir())) {
      remote.uploadArtifact(uri, f, DATA_ARTIFACTS);
      try {
        bytes += Files.size(f);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      n++;
    }
    reporter.info(
        String.format(
            java.util.Locale.ROOT,
            "pushed the prepared data (%d files, %.1f MB) to the parent run on %s in %.1f s",
            n,
            bytes / 1e6,
            remote.display(),
            (System.nanoTime() - t0) / 1e9));
  }

  /** The files of a prepared-data folder that a trial needs (prepare's outputs, not its lock). */
  private static List<Path> dataFiles(Path dir) {
    try (var entries = Files.list(dir)) {
      return entries
          .filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
          .filter(p -> DATA_NAME.matcher(p.getFileName().toString()).matches())
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new CxrException(
          "prepared data " + dir + ": cannot be listed (" + e.getMessage() + ")");
    }
  }

  /** The names a prepared-data folder holds; anything else the server lists is not fetched. */
  private static final java.util.regex.Pattern DATA_NAME =
      java.util.regex.Pattern.compile(
          "manifest\\.json|samples\\.csv|config\\.yaml|[xy]_[A-Za-z0-9_-]+\\.npy");

  /**
   * Makes the planned data this host's {@code paths.prepared} when it is missing or another
   * (replaceable) prepare output: downloaded from the parent run on the server into a folder beside
   * it, checked against the plan's manifest hash, then moved into place (the arrays' own hashes are
   * checked as they are loaded). Two steps of one host pulling at once: the second waits and uses
   * what the first pulled.
   */
  static void pullData(CxrConfig base, Plan plan, Tracker tracker, Reporter reporter) {
    Path dir = Path.of(base.paths().prepared());
    MlflowRemote remote = remoteOf(tracker);
    if (plan.dataManifestSha256() == null
        || plan.dataArtifacts() == null
        || plan.parentRemoteRunId() == null
        || remote == null
        || plan.dataManifestSha256().equals(manifestSha(dir))) {
      return;
    }
    try (WorkspaceLock lock =
        WorkspaceLock.await(
            dir, false, "paths.prepared", "cxr optimize (pulling data)", PATIENCE)) {
      if (plan.dataManifestSha256().equals(manifestSha(dir))) {
        return; // another step of this host pulled it meanwhile
      }
      PreparedDataset.requireReplaceable(dir);
      long t0 = System.nanoTime();
      String uri = remote.client().getRun(plan.parentRemoteRunId()).getInfo().getArtifactUri();
      Map<String, Long> files = remote.artifactSizes(uri, plan.dataArtifacts());
      if (!files.containsKey(PreparedDataset.MANIFEST)) {
        throw new CxrException(
            "the search's parent run "
                + plan.parentRemoteRunId()
                + " on "
                + remote.display()
                + " holds no prepared data under "
                + plan.dataArtifacts()
                + " (plan again with a tracking server, or prepare the data on this host)");
      }
      long bytes = download(remote, uri, files.keySet(), plan, dir);
      reporter.info(
          String.format(
              java.util.Locale.ROOT,
              "pulled the search's prepared data (%.1f MB) from the parent run on %s into %s in"
                  + " %.1f s",
              bytes / 1e6,
              remote.display(),
              dir,
              (System.nanoTime() - t0) / 1e9));
    }
  }

  /**
   * Downloads the listed data files into a folder beside {@code dir}, checks the manifest against
   * the plan and moves the folder into place; nothing is published when any of it fails.
   *
   * @return the bytes downloaded
   */
  private static long download(
      MlflowRemote remote, String uri, java.util.Set<String> names, Plan plan, Path dir) {
    Path staging = AtomicFiles.tempDirBeside(dir);
    long bytes = 0;
    try {
      for (String name : new java.util.TreeSet<>(names)) {
        if (DATA_NAME.matcher(name).matches()) {
          remote.downloadArtifact(uri, plan.dataArtifacts() + "/" + name, staging.resolve(name));
          bytes += Files.size(staging.resolve(name));
        }
      }
      String got = manifestSha(staging);
      if (!plan.dataManifestSha256().equals(got)) {
        throw new CxrException(
            "the prepared data pulled from "
                + remote.display()
                + " has manifest sha256 "
                + abbrev(got)
                + ", the plan says "
                + abbrev(plan.dataManifestSha256())
                + "; nothing was published");
      }
      AtomicFiles.publishDir(staging, dir);
      return bytes;
    } catch (IOException e) {
      AtomicFiles.deleteRecursively(staging);
      throw new CxrException("paths.prepared " + dir + ": cannot write it (" + e + ")");
    } catch (RuntimeException e) {
      AtomicFiles.deleteRecursively(staging);
      throw e;
    }
  }

  /** The sha256 of a folder's manifest.json, or null when it has none. */
  private static String manifestSha(Path dir) {
    Path m = dir.resolve(PreparedDataset.MANIFEST);
    return Files.isRegularFile(m) ? Hashing.sha256(m) : null;
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
