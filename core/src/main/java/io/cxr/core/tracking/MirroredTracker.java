package io.cxr.core.tracking;

import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.mlflow.api.proto.Service;

/**
 * Records every run in the local MLflow file store and, when a server is configured, mirrors it
 * there as it happens. The local store is the journal: if the server fails mid-run, the run goes on
 * locally (one warning) and {@code cxr runs sync} pushes the rest later.
 */
public final class MirroredTracker implements Tracker {
  private final FileStore local;
  private final MlflowRemote remote;
  private final Reporter reporter;
  private final Set<Run> open = ConcurrentHashMap.newKeySet();

  /**
   * A tracker.
   *
   * @param remote the server to mirror to, or null for the local store only
   */
  public MirroredTracker(FileStore local, MlflowRemote remote, Reporter reporter) {
    this.local = local;
    this.remote = remote;
    this.reporter = reporter;
    // Ctrl-C: runs still open end as KILLED instead of staying RUNNING forever
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  for (Run r : List.copyOf(open)) {
                    r.end(RunStatus.KILLED);
                  }
                },
                "cxr-tracking-shutdown"));
  }

  public FileStore local() {
    return local;
  }

  public MlflowRemote remote() {
    return remote;
  }

  @Override
  public String describe() {
    return remote == null
        ? "local MLflow store " + local.root()
        : "MLflow server " + remote.display() + " (journal in " + local.root() + ")";
  }

  @Override
  public TrackedRun start(
      String experiment, String runName, Map<String, String> tags, String parentRunId) {
    long start = System.currentTimeMillis();
    String expId = local.experimentId(experiment);
    String runId = local.createRun(expId, runName, start);
    Map<String, String> all = new LinkedHashMap<>(tags);
    all.putAll(RunJanitor.ownerTags()); // so a later command can end it if this process dies
    if (parentRunId != null) {
      all.put("mlflow.parentRunId", parentRunId);
    }
    Run run = new Run(expId, runId, runName, start);
    all.forEach((k, v) -> local.setTag(expId, runId, k, v));
    if (remote != null) {
      run.mirror(
          () -> {
            String rexp = remote.experimentId(experiment);
            Map<String, String> rtags = new LinkedHashMap<>(all);
            rtags.put("cxr.local_run_id", runId);
            if (parentRunId != null) {
              String remoteParent = local.read(expId, parentRunId).tags().get("cxr.remote_run_id");
              if (remoteParent == null) {
                rtags.remove("mlflow.parentRunId");
              } else {
                rtags.put("mlflow.parentRunId", remoteParent);
              }
            }
            Service.RunInfo info = remote.createRun(rexp, runName, start, rtags);
            run.remoteId = info.getRunId();
            run.remoteArtifacts = info.getArtifactUri();
            local.setTag(expId, runId, "cxr.remote_run_id", info.getRunId());
            local.setTag(expId, runId, "cxr.remote_uri", remote.display());
          });
    }
    open.add(run);
    return run;
  }

  /**
   * Reopens a run of the local store to add to it (the report of a model, the external evaluations
   * of a model), mirrored to the server's copy of it when it has one. Ending it keeps the run's
   * status and times: reopening is not a new life of the run.
   *
   * @return the run, or null when the local store has no such run
   */
  @Override
  public TrackedRun reopen(String experimentId, String runId) {
    if (!Files.isRegularFile(local.runDir(experimentId, runId).resolve("meta.yaml"))) {
      return null;
    }
    Run run = new Run(experimentId, runId, null);
    run.reopened = true;
    if (remote != null) {
      Map<String, String> tags = local.read(experimentId, runId).tags();
      String rid = tags.get("cxr.remote_run_id");
      if (rid == null || !remote.display().equals(tags.get("cxr.remote_uri"))) {
        run.mirroring = false;
        reporter.warn(
            "run "
                + runId
                + " is not on "
                + remote.display()
                + " yet: what is added to it stays in "
                + local.root()
                + " until `cxr runs sync`");
      } else {
        run.mirror(
            () -> {
              run.remoteArtifacts = remote.client().getRun(rid).getInfo().getArtifactUri();
              run.remoteId = rid;
            });
      }
    }
    return run;
  }

  @Override
  public TrackedRun resume(String experimentId, String runId) {
    if (!Files.isRegularFile(local.runDir(experimentId, runId).resolve("meta.yaml"))) {
      return null;
    }
    FileStore.StoredRun stored = local.read(experimentId, runId);
    if (stored.status() == RunStatus.FINISHED) {
      // its outputs were written and its metrics are final: more epochs would corrupt it
      throw new CxrException(
          "--resume: run "
              + runId
              + " in "
              + describe()
              + " has finished; a finished run is not resumed (start afresh without --resume)");
    }
    Run run = new Run(experimentId, runId, stored.runName(), stored.startTime());
    local.writeRunMeta(experimentId, runId, stored.runName(), RunStatus.RUNNING, run.start, null);
    Map<String, String> tags = new LinkedHashMap<>(RunJanitor.ownerTags());
    tags.put("cxr.resumed", java.time.Instant.now().toString());
    tags.forEach((k, v) -> local.setTag(experimentId, runId, k, v));
    String rid = stored.tags().get("cxr.remote_run_id");
    if (remote != null
        && rid != null
        && remote.display().equals(stored.tags().get("cxr.remote_uri"))) {
      run.mirror(
          () -> {
            run.remoteArtifacts = remote.client().getRun(rid).getInfo().getArtifactUri();
            run.remoteId = rid;
            List<Service.RunTag> t = new ArrayList<>();
            tags.forEach(
                (k, v) -> t.add(Service.RunTag.newBuilder().setKey(k).setValue(v).build()));
            remote.logBatch(rid, List.of(), List.of(), t);
          });
    } else if (remote != null) {
      run.mirroring = false;
      local.setTag(experimentId, runId, "cxr.sync_needed", "true");
    }
    open.add(run);
    return run;
  }

  /** The tag of a local stand-in for a run that another host started on the server. */
  public static final String ADOPTED = "cxr.adopted";

  /**
   * Takes on a run that another host started on the server (a fanned-out search's parent): a
   * stand-in run in the local store, mapped to it like a run this host mirrors, so that nested runs
   * started here with the stand-in as parent become the server run's children; detached (no process
   * owns it), and {@code cxr runs sync} treats it as that server run.
   *
   * @return the stand-in's local run id
   */
  public String adopt(
      String experiment,
      String remoteRunId,
      String runName,
      long startTime,
      Map<String, String> tags) {
    if (remote == null) {
      throw new IllegalStateException("adopt needs a tracking server");
    }
    String expId = local.experimentId(experiment);
    String runId = local.createRun(expId, runName, startTime);
    Map<String, String> all = new LinkedHashMap<>(tags);
    all.put("cxr.remote_run_id", remoteRunId);
    all.put("cxr.remote_uri", remote.display());
    all.put(RunJanitor.DETACHED, "stand-in for run " + remoteRunId + " on " + remote.display());
    all.put(ADOPTED, remoteRunId);
    all.forEach((k, v) -> local.setTag(expId, runId, k, v));
    return runId;
  }

  /** One run, written locally and mirrored while the server answers. */
  private final class Run implements TrackedRun {
    private final String expId;
    private final String runId;
    private volatile String runName;
    private final long start;
    private volatile String remoteId;
    private volatile String remoteArtifacts;
    private volatile boolean mirroring = remote != null;
    private volatile boolean ended;
    private volatile boolean reopened;

    Run(String expId, String runId, String runName) {
      this(expId, runId, runName, System.currentTimeMillis());
    }

    Run(String expId, String runId, String runName, long start) {
      this.expId = expId;
      this.runId = runId;
      this.runName = runName;
      this.start = start;
    }

    void mirror(Runnable action) {
      if (!mirroring) {
        return;
      }
      try {
        remote.bounded(
            () -> {
              action.run();
              return null;
            });
      } catch (RuntimeException e) {
        mirroring = false;
        reporter.warn(
            "tracking server "
                + remote.display()
                + " failed ("
                + MlflowRemote.firstLine(e.getMessage())
                + "); run "
                + runId
                + " continues in "
                + local.root()
                + "; push it later with `cxr runs sync --to "
                + remote.display()
                + "`");
        local.setTag(expId, runId, "cxr.sync_needed", "true");
      }
    }

    private boolean live() {
      return mirroring && remoteId != null;
    }

    @Override
    public String runId() {
      return runId;
    }

    @Override
    public String experimentId() {
      return expId;
    }

    @Override
    public String remoteRunId() {
      return remoteId;
    }

    @Override
    public void logParams(Map<String, String> params) {
      params.forEach((k, v) -> local.logParam(expId, runId, k, v));
      if (live()) {
        List<Service.Param> p = new ArrayList<>();
        params.forEach((k, v) -> p.add(Service.Param.newBuilder().setKey(k).setValue(v).build()));
        mirror(() -> remote.logBatch(remoteId, List.of(), p, List.of()));
      }
    }

    @Override
    public void logMetric(String key, double value, long step) {
      logMetrics(Map.of(key, value), step);
    }

    @Override
    public void logMetrics(Map<String, Double> metrics, long step) {
      long ts = System.currentTimeMillis();
      List<Service.Metric> m = new ArrayList<>();
      metrics.forEach(
          (k, v) -> {
            if (v == null || v.isNaN() || v.isInfinite()) {
              return;
            }
            local.logMetric(expId, runId, k, new FileStore.MetricPoint(ts, v, step));
            m.add(
                Service.Metric.newBuilder()
                    .setKey(k)
                    .setValue(v)
                    .setTimestamp(ts)
                    .setStep(step)
                    .build());
          });
      if (live() && !m.isEmpty()) {
        mirror(() -> remote.logBatch(remoteId, m, List.of(), List.of()));
      }
    }

    @Override
    public void setTags(Map<String, String> tags) {
      tags.forEach((k, v) -> local.setTag(expId, runId, k, v));
      if (tags.containsKey("mlflow.runName")) {
        // a rename, as MLflow's own stores take it: the run's meta carries the name too
        runName = tags.get("mlflow.runName");
        if (!ended) {
          local.writeRunMeta(expId, runId, runName, RunStatus.RUNNING, start, null);
        }
      }
      if (live()) {
        List<Service.RunTag> t = new ArrayList<>();
        tags.forEach((k, v) -> t.add(Service.RunTag.newBuilder().setKey(k).setValue(v).build()));
        mirror(() -> remote.logBatch(remoteId, List.of(), List.of(), t));
      }
    }

    @Override
    public void logInputs(List<DatasetInput> inputs) {
      local.logInputs(expId, runId, inputs);
      if (live()) {
        mirror(() -> remote.post("runs/log-inputs", DatasetInput.request(remoteId, inputs)));
      }
    }

    @Override
    public void logArtifact(Path file, String dir) {
      local.logArtifact(expId, runId, file, dir);
      if (live()) {
        mirror(() -> remote.uploadArtifact(remoteArtifacts, file, dir));
      }
    }

    @Override
    public synchronized void detach(String why) {
      setTags(Map.of(RunJanitor.DETACHED, why));
      ended = true;
      open.remove(this);
    }

    @Override
    public synchronized void end(RunStatus status) {
      if (ended) {
        return;
      }
      ended = true;
      open.remove(this);
      if (reopened) {
        return;
      }
      long end = System.currentTimeMillis();
      if (live()) {
        mirror(
            () ->
                remote
                    .client()
                    .setTerminated(remoteId, Service.RunStatus.valueOf(status.name()), end));
      }
      local.writeRunMeta(expId, runId, runName, status, start, end);
    }
  }
}
