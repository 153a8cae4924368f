package io.cxr.core.tracking;

import io.cxr.core.Reporter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.mlflow.api.proto.Service;

/**
 * {@code cxr runs sync}: pushes local runs (params, metric histories, tags, artifacts, status) to a
 * server. Each remote run carries the tag {@code cxr.local_run_id}, and only metric points the
 * server lacks are sent, so syncing again creates no duplicates.
 */
public final class RunSync {
  private RunSync() {}

  /** What a sync did. */
  public record Result(int runs, int created, int metricPoints, int artifacts) {}

  public static Result sync(FileStore local, MlflowRemote remote, Reporter reporter) {
    List<FileStore.StoredRun> runs = local.runs();
    Map<String, String> remoteIds = new HashMap<>();
    Map<String, String> remoteExp = new HashMap<>();
    int created = 0;
    int points = 0;
    int files = 0;
    try (Reporter.Progress bar = reporter.progress("sync", runs.size())) {
      for (FileStore.StoredRun run : runs) {
        String expName = local.experimentName(run.experimentId());
        String rexp = remoteExp.computeIfAbsent(expName, remote::experimentId);
        Optional<Service.RunInfo> found = remote.findByLocalId(rexp, run.runId());
        Service.RunInfo info;
        if (found.isPresent()) {
          info = found.get();
        } else {
          Map<String, String> tags = new HashMap<>();
          tags.put("cxr.local_run_id", run.runId());
          info = remote.createRun(rexp, run.runName(), run.startTime(), tags);
          created++;
        }
        String rid = info.getRunId();
        remoteIds.put(run.runId(), rid);
        Service.Run existing = remote.client().getRun(rid);
        List<Service.Metric> metrics = missingPoints(remote, rid, existing, run);
        remote.logBatch(rid, metrics, missingParams(existing, run), tags(run, remoteIds));
        points += metrics.size();
        files += uploadAll(remote, info.getArtifactUri(), run.artifacts());
        if (run.status().terminal()) {
          remote
              .client()
              .setTerminated(
                  rid,
                  Service.RunStatus.valueOf(run.status().name()),
                  run.endTime() == null ? System.currentTimeMillis() : run.endTime());
        }
        local.setTag(run.experimentId(), run.runId(), "cxr.remote_run_id", rid);
        local.setTag(run.experimentId(), run.runId(), "cxr.remote_uri", remote.display());
        bar.step();
      }
    }
    return new Result(runs.size(), created, points, files);
  }

  /** Params are immutable on the server: only the ones it lacks. */
  private static List<Service.Param> missingParams(Service.Run existing, FileStore.StoredRun run) {
    Set<String> have = new HashSet<>();
    existing.getData().getParamsList().forEach(p -> have.add(p.getKey()));
    List<Service.Param> params = new ArrayList<>();
    run.params()
        .forEach(
            (k, v) -> {
              if (!have.contains(k)) {
                params.add(Service.Param.newBuilder().setKey(k).setValue(v).build());
              }
            });
    return params;
  }

  /**
   * The run's tags for the server: a nested run's parent id mapped to the parent's remote id (the
   * parent is synced first), cxr's own bookkeeping tags left out.
   */
  private static List<Service.RunTag> tags(FileStore.StoredRun run, Map<String, String> remoteIds) {
    List<Service.RunTag> tags = new ArrayList<>();
    run.tags()
        .forEach(
            (k, v) -> {
              String value = v;
              if (k.equals("mlflow.parentRunId")) {
                value = remoteIds.get(v);
                if (value == null) {
                  return;
                }
              }
              if (!k.startsWith("cxr.remote_") && !k.equals("cxr.sync_needed")) {
                tags.add(Service.RunTag.newBuilder().setKey(k).setValue(value).build());
              }
            });
    return tags;
  }

  /** The metric points the server lacks (same timestamp, value and step count as the same). */
  private static List<Service.Metric> missingPoints(
      MlflowRemote remote, String rid, Service.Run existing, FileStore.StoredRun run) {
    List<Service.Metric> metrics = new ArrayList<>();
    for (var e : run.metrics().entrySet()) {
      Set<String> have = new HashSet<>();
      if (existing.getData().getMetricsList().stream()
          .anyMatch(m -> m.getKey().equals(e.getKey()))) {
        for (Service.Metric m : remote.client().getMetricHistory(rid, e.getKey())) {
          have.add(key(m.getTimestamp(), m.getValue(), m.getStep()));
        }
      }
      for (FileStore.MetricPoint p : e.getValue()) {
        if (have.add(key(p.timestamp(), p.value(), p.step()))) {
          metrics.add(
              Service.Metric.newBuilder()
                  .setKey(e.getKey())
                  .setValue(p.value())
                  .setTimestamp(p.timestamp())
                  .setStep(p.step())
                  .build());
        }
      }
    }
    return metrics;
  }

  private static int uploadAll(MlflowRemote remote, String artifactUri, Path dir) {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    int n = 0;
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path f : s.filter(Files::isRegularFile).sorted().toList()) {
        Path rel = dir.relativize(f).getParent();
        remote.uploadArtifact(artifactUri, f, rel == null ? "" : rel.toString().replace('\\', '/'));
        n++;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return n;
  }

  private static String key(long ts, double value, long step) {
    return ts + "|" + step + "|" + Double.doubleToLongBits(value);
  }
}
