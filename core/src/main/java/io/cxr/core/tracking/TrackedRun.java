package io.cxr.core.tracking;

import java.nio.file.Path;
import java.util.Map;

/** One tracked run: params, metric points, tags and artifacts, then an end. */
public interface TrackedRun extends AutoCloseable {
  String runId();

  String experimentId();

  /** The id of the mirrored run on the tracking server, or null when there is none. */
  default String remoteRunId() {
    return null;
  }

  void logParams(Map<String, String> params);

  void logMetric(String key, double value, long step);

  default void logMetrics(Map<String, Double> metrics, long step) {
    metrics.forEach(
        (k, v) -> {
          if (v != null && !v.isNaN() && !v.isInfinite()) {
            logMetric(k, v, step);
          }
        });
  }

  void setTags(Map<String, String> tags);

  /** Records the datasets the run used (MLflow's run inputs: the UI's "Datasets" column). */
  default void logInputs(java.util.List<DatasetInput> inputs) {}

  /** Copies a file into the run's artifacts under {@code dir} ("" for the root). */
  void logArtifact(Path file, String dir);

  void end(RunStatus status);

  /**
   * Leaves the run RUNNING when this process ends, for another process to continue and end (a
   * fanned-out search's parent): tagged {@link RunJanitor#DETACHED} with {@code why}, so that
   * neither this process's exit nor a later janitor ends it.
   */
  default void detach(String why) {
    setTags(Map.of(RunJanitor.DETACHED, why));
  }

  /** Ends the run as FINISHED unless it already ended. */
  @Override
  default void close() {
    end(RunStatus.FINISHED);
  }
}
