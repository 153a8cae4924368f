package io.cxr.core.tracking;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cxr.core.CxrException;
import io.cxr.core.io.AtomicFiles;
import io.cxr.core.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Reads and writes MLflow's file-store layout ({@code mlruns/}), so that stock MLflow ({@code
 * mlflow ui --backend-store-uri ./mlruns}) shows what cxr recorded: {@code <exp>/meta.yaml}, {@code
 * <exp>/<run>/meta.yaml}, {@code params/}, {@code metrics/} (lines "timestamp value step"), {@code
 * tags/}, {@code artifacts/}.
 */
public final class FileStore {
  private static final SecureRandom RANDOM = new SecureRandom();
  private final Path root;

  public FileStore(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  /** A run as stored. */
  public record StoredRun(
      String experimentId,
      String runId,
      String runName,
      RunStatus status,
      long startTime,
      Long endTime,
      Map<String, String> params,
      Map<String, String> tags,
      Map<String, List<MetricPoint>> metrics,
      Path artifacts) {}

  /** One metric point. */
  public record MetricPoint(long timestamp, double value, long step) {}

  /** The id of the experiment with this name, created if missing. */
  public synchronized String experimentId(String name) {
    ensureDefault();
    for (Path meta : experimentMetas()) {
      JsonNode m = yaml(meta);
      if (name.equals(m.path("name").asText())
          && "active".equals(m.path("lifecycle_stage").asText("active"))) {
        return m.path("experiment_id").asText();
      }
    }
    String id =
        Long.toString(
            100_000_000_000_000_000L
                + (RANDOM.nextLong() & Long.MAX_VALUE) % 800_000_000_000_000_000L);
    writeExperiment(id, name);
    return id;
  }

  private void ensureDefault() {
    if (!Files.isRegularFile(root.resolve("0").resolve("meta.yaml"))) {
      writeExperiment("0", "Default");
    }
  }

  private void writeExperiment(String id, String name) {
    long now = System.currentTimeMillis();
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("artifact_location", "file://" + root.resolve(id));
    meta.put("creation_time", now);
    meta.put("experiment_id", id);
    meta.put("last_update_time", now);
    meta.put("lifecycle_stage", "active");
    meta.put("name", name);
    writeYaml(root.resolve(id).resolve("meta.yaml"), meta);
  }

  /** Creates a run directory in RUNNING state; returns its id. */
  public synchronized String createRun(String experimentId, String runName, long startTime) {
    String runId = UUID.randomUUID().toString().replace("-", "");
    Path dir = root.resolve(experimentId).resolve(runId);
    try {
      for (String sub : List.of("params", "metrics", "tags", "artifacts")) {
        Files.createDirectories(dir.resolve(sub));
      }
    } catch (IOException e) {
      throw new CxrException(
          "tracking store " + root + ": cannot create run (" + e.getMessage() + ")");
    }
    writeRunMeta(experimentId, runId, runName, RunStatus.RUNNING, startTime, null);
    setTag(experimentId, runId, "mlflow.runName", runName);
    setTag(experimentId, runId, "mlflow.source.type", "LOCAL");
    setTag(experimentId, runId, "mlflow.source.name", "cxr");
    setTag(experimentId, runId, "mlflow.user", System.getProperty("user.name", "cxr"));
    return runId;
  }

  public void writeRunMeta(
      String experimentId,
      String runId,
      String runName,
      RunStatus status,
      long startTime,
      Long endTime) {
    Path dir = root.resolve(experimentId).resolve(runId);
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("artifact_uri", "file://" + dir.resolve("artifacts"));
    meta.put("end_time", endTime);
    meta.put("entry_point_name", "");
    meta.put("experiment_id", experimentId);
    meta.put("lifecycle_stage", "active");
    meta.put("run_id", runId);
    meta.put("run_name", runName);
    meta.put("run_uuid", runId);
    meta.put("source_name", "");
    meta.put("source_type", 4);
    meta.put("source_version", "");
    meta.put("start_time", startTime);
    meta.put("status", status.code());
    meta.put("tags", List.of());
    meta.put("user_id", System.getProperty("user.name", "cxr"));
    writeYaml(dir.resolve("meta.yaml"), meta);
  }

  public void logParam(String experimentId, String runId, String key, String value) {
    write(runDir(experimentId, runId).resolve("params").resolve(safeKey(key)), value);
  }

  public void setTag(String experimentId, String runId, String key, String value) {
    write(runDir(experimentId, runId).resolve("tags").resolve(safeKey(key)), value);
  }

  public synchronized void logMetric(String experimentId, String runId, String key, MetricPoint p) {
    Path f = runDir(experimentId, runId).resolve("metrics").resolve(safeKey(key));
    try {
      Files.createDirectories(f.getParent());
      Files.writeString(
          f,
          p.timestamp() + " " + Double.toString(p.value()) + " " + p.step() + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public void logArtifact(String experimentId, String runId, Path file, String dir) {
    Path target = runDir(experimentId, runId).resolve("artifacts");
    if (dir != null && !dir.isEmpty()) {
      target = target.resolve(dir);
    }
    Path out = target.resolve(file.getFileName().toString());
    AtomicFiles.writeVia(out, tmp -> Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING));
  }

  /**
   * Records the datasets a run used as MLflow's file store does: each dataset once per experiment
   * in {@code <experiment>/datasets/<md5(name, digest)>/meta.yaml}, and the run's link to it in
   * {@code <run>/inputs/<md5(dataset id, run id)>/meta.yaml} with its context tag.
   */
  public synchronized void logInputs(String experimentId, String runId, List<DatasetInput> inputs) {
    for (DatasetInput in : inputs) {
      String datasetId = md5(in.name(), in.digest());
      Path dataset = root.resolve(experimentId).resolve("datasets").resolve(datasetId);
      if (!Files.exists(dataset.resolve("meta.yaml"))) {
        writeYaml(dataset.resolve("meta.yaml"), in.dataset());
      }
      Map<String, Object> link = new LinkedHashMap<>();
      link.put("source_type", "DATASET");
      link.put("source_id", datasetId);
      link.put("destination_type", "RUN");
      link.put("destination_id", runId);
      link.put("tags", Map.of(DatasetInput.CONTEXT_TAG, in.context()));
      writeYaml(
          runDir(experimentId, runId)
              .resolve("inputs")
              .resolve(md5(datasetId, runId))
              .resolve("meta.yaml"),
          link);
    }
  }

  /** The datasets {@link #logInputs} recorded for a run (none when it recorded none). */
  public List<DatasetInput> inputs(String experimentId, String runId) {
    Path dir = runDir(experimentId, runId).resolve("inputs");
    List<DatasetInput> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (Stream<Path> links = Files.list(dir)) {
      for (Path link : links.sorted().toList()) {
        JsonNode l = yaml(link.resolve("meta.yaml"));
        JsonNode d =
            yaml(
                root.resolve(experimentId)
                    .resolve("datasets")
                    .resolve(l.path("source_id").asText())
                    .resolve("meta.yaml"));
        out.add(
            new DatasetInput(
                d.path("name").asText(),
                d.path("digest").asText(),
                d.path("source_type").asText(),
                d.path("source").asText(),
                d.path("schema").asText(null),
                d.path("profile").asText(null),
                l.path("tags").path(DatasetInput.CONTEXT_TAG).asText()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  private static String md5(String a, String b) {
    try {
      java.security.MessageDigest md = java.security.MessageDigest.getInstance("MD5");
      md.update(a.getBytes(StandardCharsets.UTF_8));
      md.update(b.getBytes(StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(md.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public Path runDir(String experimentId, String runId) {
    return root.resolve(experimentId).resolve(runId);
  }

  /** Every run of every experiment, parents before their children. */
  public List<StoredRun> runs() {
    List<StoredRun> out = new ArrayList<>();
    for (Path meta : experimentMetas()) {
      Path expDir = meta.getParent();
      try (Stream<Path> s = Files.list(expDir)) {
        for (Path runDir :
            s.filter(p -> Files.isRegularFile(p.resolve("meta.yaml"))).sorted().toList()) {
          out.add(read(expDir.getFileName().toString(), runDir.getFileName().toString()));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    out.sort(
        Comparator.comparing((StoredRun r) -> r.tags().containsKey("mlflow.parentRunId") ? 1 : 0)
            .thenComparingLong(StoredRun::startTime));
    return out;
  }

  /** The experiment's name. */
  public String experimentName(String experimentId) {
    return yaml(root.resolve(experimentId).resolve("meta.yaml")).path("name").asText();
  }

  public StoredRun read(String experimentId, String runId) {
    Path dir = runDir(experimentId, runId);
    JsonNode m = yaml(dir.resolve("meta.yaml"));
    Map<String, List<MetricPoint>> metrics = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : files(dir.resolve("metrics")).entrySet()) {
      List<MetricPoint> pts = new ArrayList<>();
      for (String line : e.getValue().split("\n")) {
        String[] f = line.trim().split(" ");
        if (f.length >= 2) {
          pts.add(
              new MetricPoint(
                  Long.parseLong(f[0]),
                  Double.parseDouble(f[1]),
                  f.length > 2 ? Long.parseLong(f[2]) : 0));
        }
      }
      metrics.put(e.getKey(), pts);
    }
    return new StoredRun(
        experimentId,
        runId,
        m.path("run_name").asText(),
        RunStatus.ofCode(m.path("status").asInt(4)),
        m.path("start_time").asLong(),
        m.path("end_time").isNumber() ? m.path("end_time").asLong() : null,
        files(dir.resolve("params")),
        files(dir.resolve("tags")),
        metrics,
        dir.resolve("artifacts"));
  }

  /** The (experiment id, run id) of every run whose status is RUNNING (reads meta.yaml only). */
  public List<String[]> runningRuns() {
    List<String[]> out = new ArrayList<>();
    for (Path meta : experimentMetas()) {
      Path expDir = meta.getParent();
      try (Stream<Path> s = Files.list(expDir)) {
        for (Path runDir :
            s.filter(p -> Files.isRegularFile(p.resolve("meta.yaml"))).sorted().toList()) {
          if (yaml(runDir.resolve("meta.yaml")).path("status").asInt(0)
              == RunStatus.RUNNING.code()) {
            out.add(
                new String[] {expDir.getFileName().toString(), runDir.getFileName().toString()});
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }

  private List<Path> experimentMetas() {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(root)) {
      return s.filter(
              p ->
                  !p.getFileName().toString().startsWith(".")
                      && !p.getFileName().toString().equals("models"))
          .map(p -> p.resolve("meta.yaml"))
          .filter(Files::isRegularFile)
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Files below {@code dir} by relative path (nested keys like {@code a/b} are folders). */
  private static Map<String, String> files(Path dir) {
    Map<String, String> out = new LinkedHashMap<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path f : s.filter(Files::isRegularFile).sorted().toList()) {
        out.put(
            dir.relativize(f).toString().replace('\\', '/'),
            Files.readString(f, StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  static String safeKey(String key) {
    if (key.isEmpty() || key.contains("..") || key.startsWith("/")) {
      throw new CxrException("tracking key '" + key + "': not a valid MLflow key");
    }
    return key;
  }

  private static void write(Path file, String value) {
    AtomicFiles.writeString(file, value);
  }

  static JsonNode yaml(Path file) {
    try {
      JsonNode n = Json.YAML.readTree(file.toFile());
      return n == null ? Json.YAML.createObjectNode() : n;
    } catch (IOException e) {
      throw new CxrException("tracking store file " + file + ": not valid YAML");
    }
  }

  static void writeYaml(Path file, Map<String, Object> content) {
    try {
      ObjectNode n = Json.YAML.valueToTree(content);
      AtomicFiles.writeString(file, Json.YAML.writeValueAsString(n));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
