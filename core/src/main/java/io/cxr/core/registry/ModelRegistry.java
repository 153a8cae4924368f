package io.cxr.core.registry;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** A model registry: named models, numbered versions, aliases, version tags. */
public interface ModelRegistry {
  /** A registered version: which run holds its files, and its tags. */
  record Version(
      String name, String version, String runId, String source, Map<String, String> tags) {}

  String describe();

  /** Creates the registered model if it does not exist. */
  void ensureModel(String name);

  /** A new version from a run's {@code model} artifact folder. */
  Version createVersion(String name, String runId, Map<String, String> tags);

  Optional<Version> byAlias(String name, String alias);

  Optional<Version> version(String name, String version);

  /** Every version of model {@code name}, with its tags. */
  java.util.List<Version> versions(String name);

  void setAlias(String name, String alias, String version);

  void setVersionTags(String name, String version, Map<String, String> tags);

  /** Fetches the version's model.zip to a local file (a cache path or the store's own file). */
  Path fetchModel(Version version, Path cacheDir);

  /** A metric of the run that produced a version, if recorded. */
  Optional<Double> runMetric(String runId, String metric);

  /**
   * Runs {@code body} as the only writer of model {@code name} among all processes, where the store
   * allows (the local store: a file lock); the MLflow server has no lock, so there it runs as is
   * and callers verify what they wrote.
   */
  default <T> T exclusive(String name, java.util.function.Supplier<T> body) {
    return body.get();
  }

  /** Whether {@link #exclusive} really excludes other processes. */
  default boolean locks() {
    return false;
  }
}
