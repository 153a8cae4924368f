package io.cxr.core.tracking;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cxr.core.Reporter;
import io.cxr.core.io.AtomicFiles;
import io.cxr.core.io.Hashing;
import io.cxr.core.io.Json;
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
 * server lacks are sent, so syncing again creates no duplicates. An artifact file is sent again
 * only when it changed: the SHA-256 of each file sent is kept beside the local run ({@value
 * #LEDGER}, per remote run), and a file is skipped when its hash is the one sent and the server
 * still holds a file of its size.
 */
public final class RunSync {
  private RunSync() {}

  /** The file beside a local run's folders recording what was sent where. */
  static final String LEDGER = "cxr-synced-artifacts.json";

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
        String adopted = run.tags().get(MirroredTracker.ADOPTED);
        // a stand-in for a run another host started on the server (a fanned-out search's parent)
        // is that run, not one to create
        Optional<Service.RunInfo> found =
            adopted != null && remote.display().equals(run.tags().get("cxr.remote_uri"))
                ? Optional.of(remote.client().getRun(adopted).getInfo())
                : remote.findByLocalId(rexp, run.runId());
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
        List<DatasetInput> inputs = local.inputs(run.experimentId(), run.runId());
        if (!inputs.isEmpty()) {
          // the server keeps a dataset and a run's link to it once, however often it is sent
          remote.post("runs/log-inputs", DatasetInput.request(rid, inputs));
        }
        files += uploadChanged(remote, rid, info.getArtifactUri(), run.artifacts());
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
              if (!k.startsWith("cxr.remote_")
                  && !k.equals("cxr.sync_needed")
                  && !k.equals(MirroredTracker.ADOPTED)) {
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

  /** Uploads the run's artifact files the server lacks or holds in another version. */
  private static int uploadChanged(
      MlflowRemote remote, String remoteRunId, String artifactUri, Path dir) {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    Path ledgerFile = dir.resolveSibling(LEDGER);
    ObjectNode ledger = readLedger(ledgerFile);
    ObjectNode sent =
        ledger.path(remoteRunId) instanceof ObjectNode o ? o : ledger.putObject(remoteRunId);
    Map<String, Map<String, Long>> remoteSizes = new HashMap<>();
    int n = 0;
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path f : s.filter(Files::isRegularFile).sorted().toList()) {
        Path parent = dir.relativize(f).getParent();
        String folder = parent == null ? "" : parent.toString().replace('\\', '/');
        String rel = (folder.isEmpty() ? "" : folder + "/") + f.getFileName();
        String sha = Hashing.sha256(f);
        if (sha.equals(sent.path(rel).asText(null))) {
          Long size =
              remoteSizes
                  .computeIfAbsent(folder, d -> remote.artifactSizes(artifactUri, d))
                  .get(f.getFileName().toString());
          if (size != null && size == Files.size(f)) {
            continue; // sent before, unchanged, still there
          }
        }
        remote.uploadArtifact(artifactUri, f, folder);
        sent.put(rel, sha);
        n++;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (n > 0) {
      AtomicFiles.writeString(ledgerFile, Json.toJson(ledger));
    }
    return n;
  }

  private static ObjectNode readLedger(Path file) {
    try {
      return Files.isRegularFile(file) && Json.JSON.readTree(file.toFile()) instanceof ObjectNode o
          ? o
          : Json.JSON.createObjectNode();
    } catch (IOException e) {
      return Json.JSON.createObjectNode(); // unreadable: everything is sent again, no harm
    }
  }

  private static String key(long ts, double value, long step) {
    return ts + "|" + step + "|" + Double.doubleToLongBits(value);
  }
}
