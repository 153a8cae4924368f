package io.cxr.core.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.CxrException;
import io.cxr.core.io.AtomicFiles;
import io.cxr.core.io.Json;
import io.cxr.core.model.BundleFiles;
import io.cxr.core.tracking.FileStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The registry in MLflow's file-store layout under {@code mlruns/models/}: {@code
 * <name>/meta.yaml}, {@code <name>/version-<n>/meta.yaml} and {@code tags/}, {@code
 * <name>/aliases/<alias>} holding the version. Stock MLflow reads it.
 */
public final class FileStoreRegistry implements ModelRegistry {
  private final FileStore store;
  private final Path models;

  public FileStoreRegistry(FileStore store) {
    this.store = store;
    this.models = store.root().resolve("models");
  }

  @Override
  public String describe() {
    return "local registry " + models;
  }

  @Override
  public synchronized void ensureModel(String name) {
    Path meta = models.resolve(name).resolve("meta.yaml");
    if (Files.isRegularFile(meta)) {
      return;
    }
    long now = System.currentTimeMillis();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("creation_timestamp", now);
    m.put("description", null);
    m.put("last_updated_timestamp", now);
    m.put("name", name);
    writeYaml(meta, m);
  }

  /** Locks of this JVM per model folder (a file lock is held once per JVM, not per thread). */
  private static final Map<Path, java.util.concurrent.locks.ReentrantLock> LOCKS =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** The lock file of a registered model's folder. */
  static final String LOCK = ".cxr-registry-lock";

  /**
   * Holds the model's lock ({@value #LOCK}, an OS file lock, waited for) while {@code body} runs:
   * concurrent registers, in threads or processes, take version numbers and move the alias one
   * after the other.
   */
  @Override
  public boolean locks() {
    return true;
  }

  @Override
  public <T> T exclusive(String name, java.util.function.Supplier<T> body) {
    Path dir = models.resolve(name).toAbsolutePath().normalize();
    java.util.concurrent.locks.ReentrantLock local =
        LOCKS.computeIfAbsent(dir, d -> new java.util.concurrent.locks.ReentrantLock());
    local.lock();
    try {
      Files.createDirectories(dir);
      try (java.nio.channels.FileChannel ch =
              java.nio.channels.FileChannel.open(
                  dir.resolve(LOCK),
                  java.nio.file.StandardOpenOption.CREATE,
                  java.nio.file.StandardOpenOption.WRITE);
          java.nio.channels.FileLock held = ch.lock()) {
        removeUnfinishedVersions(name);
        return body.get();
      }
    } catch (IOException e) {
      throw new CxrException("registry " + dir + ": cannot lock it (" + e.getMessage() + ")");
    } finally {
      local.unlock();
    }
  }

  /**
   * A {@code version-<n>} folder without meta.yaml is what a register killed half way left (its
   * meta.yaml is written first, atomically): stock MLflow cannot read the model while it is there.
   * Called with the lock held, so no register is writing one.
   */
  private void removeUnfinishedVersions(String name) throws IOException {
    try (Stream<Path> s = Files.list(models.resolve(name))) {
      for (Path p : s.toList()) {
        if (p.getFileName().toString().matches("version-\\d+")
            && Files.isDirectory(p)
            && !Files.isRegularFile(p.resolve("meta.yaml"))) {
          AtomicFiles.deleteRecursively(p);
        }
      }
    }
  }

  @Override
  public synchronized Version createVersion(String name, String runId, Map<String, String> tags) {
    ensureModel(name);
    int next = 1;
    try (Stream<Path> s = Files.list(models.resolve(name))) {
      // one more than the highest: numbers are never reused, whatever was removed
      next +=
          s.map(p -> p.getFileName().toString())
              .filter(f -> f.matches("version-\\d+"))
              .mapToInt(f -> Integer.parseInt(f.substring("version-".length())))
              .max()
              .orElse(0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    long now = System.currentTimeMillis();
    String source = "runs:/" + runId + "/model";
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("creation_timestamp", now);
    m.put("current_stage", "None");
    m.put("description", null);
    m.put("last_updated_timestamp", now);
    m.put("name", name);
    m.put("run_id", runId);
    m.put("run_link", null);
    m.put("source", source);
    m.put("status", "READY");
    m.put("status_message", null);
    m.put("storage_location", source);
    m.put("user_id", null);
    m.put("version", next);
    writeYaml(models.resolve(name).resolve("version-" + next).resolve("meta.yaml"), m);
    String v = Integer.toString(next);
    setVersionTags(name, v, tags);
    return new Version(name, v, runId, source, tags);
  }

  @Override
  public Optional<Version> byAlias(String name, String alias) {
    Path f = models.resolve(name).resolve("aliases").resolve(alias);
    if (!Files.isRegularFile(f)) {
      return Optional.empty();
    }
    try {
      return version(name, Files.readString(f).trim());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public Optional<Version> version(String name, String version) {
    Path dir = models.resolve(name).resolve("version-" + version);
    if (!Files.isRegularFile(dir.resolve("meta.yaml"))) {
      return Optional.empty();
    }
    JsonNode m;
    try {
      m = Json.YAML.readTree(dir.resolve("meta.yaml").toFile());
    } catch (IOException e) {
      throw new CxrException("registry file " + dir.resolve("meta.yaml") + ": not valid YAML");
    }
    Map<String, String> tags = new LinkedHashMap<>();
    Path tagDir = dir.resolve("tags");
    if (Files.isDirectory(tagDir)) {
      try (Stream<Path> s = Files.list(tagDir)) {
        for (Path t : s.sorted().toList()) {
          tags.put(t.getFileName().toString(), Files.readString(t));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return Optional.of(
        new Version(name, version, m.path("run_id").asText(), m.path("source").asText(), tags));
  }

  @Override
  public List<Version> versions(String name) {
    Path dir = models.resolve(name);
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString())
          .filter(f -> f.matches("version-\\d+"))
          .map(f -> f.substring("version-".length()))
          .sorted(java.util.Comparator.comparingInt(Integer::parseInt))
          .map(v -> version(name, v))
          .flatMap(Optional::stream)
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public synchronized void setAlias(String name, String alias, String version) {
    AtomicFiles.writeString(models.resolve(name).resolve("aliases").resolve(alias), version);
    Path meta = models.resolve(name).resolve("meta.yaml");
    try {
      JsonNode m = Json.YAML.readTree(meta.toFile());
      Map<String, Object> out = new LinkedHashMap<>();
      m.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue()));
      Map<String, String> aliases = new LinkedHashMap<>();
      m.path("aliases")
          .fields()
          .forEachRemaining(e -> aliases.put(e.getKey(), e.getValue().asText()));
      aliases.put(alias, version);
      out.put("aliases", aliases);
      out.put("last_updated_timestamp", System.currentTimeMillis());
      writeYaml(meta, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void setVersionTags(String name, String version, Map<String, String> tags) {
    Path dir = models.resolve(name).resolve("version-" + version).resolve("tags");
    tags.forEach((k, v) -> AtomicFiles.writeString(dir.resolve(k), v));
  }

  @Override
  public Path fetchModel(Version version, Path cacheDir) {
    for (FileStore.StoredRun r : store.runs()) {
      if (r.runId().equals(version.runId())) {
        Path zip = r.artifacts().resolve("model").resolve(BundleFiles.MODEL);
        if (Files.isRegularFile(zip)) {
          return zip;
        }
      }
    }
    throw new CxrException(
        "model "
            + version.name()
            + " version "
            + version.version()
            + ": run "
            + version.runId()
            + " has no model/model.zip in "
            + store.root());
  }

  @Override
  public Optional<Double> runMetric(String runId, String metric) {
    for (FileStore.StoredRun r : store.runs()) {
      if (r.runId().equals(runId)) {
        List<FileStore.MetricPoint> pts = r.metrics().get(metric);
        return pts == null || pts.isEmpty()
            ? Optional.empty()
            : Optional.of(pts.get(pts.size() - 1).value());
      }
    }
    return Optional.empty();
  }

  private static void writeYaml(Path file, Map<String, Object> content) {
    try {
      AtomicFiles.writeString(file, Json.YAML.writeValueAsString(content));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
