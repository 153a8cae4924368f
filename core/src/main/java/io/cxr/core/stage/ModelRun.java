package io.cxr.core.stage;

import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.Reporter;
import io.cxr.core.tracking.RunInfo;
import io.cxr.core.tracking.RunStatus;
import io.cxr.core.tracking.TrackedRun;
import io.cxr.core.tracking.Tracker;
import java.nio.file.Path;
import java.util.function.Consumer;

/** The train run that made a model (its run.json), reopened to add what was learnt later. */
final class ModelRun {
  private ModelRun() {}

  /**
   * Runs {@code body} with the model's train run and ends it without changing its status.
   *
   * @param what what is added, for the warning when the run cannot be found
   * @return the run's id, or null (with a warning) when there is no run.json or no such run
   */
  static String with(
      Tracker tracker, Path modelPath, String what, Reporter reporter, Consumer<TrackedRun> body) {
    JsonNode info = RunInfo.read(modelPath.toAbsolutePath().getParent());
    if (info == null) {
      reporter.warn(
          "no run.json beside " + modelPath + ": " + what + " is not added to the model's run");
      return null;
    }
    String runId = info.path("run_id").asText();
    TrackedRun run = tracker.reopen(info.path("experiment_id").asText(), runId);
    if (run == null) {
      reporter.warn(
          "the model's run "
              + runId
              + " is not in "
              + tracker.describe()
              + ": "
              + what
              + " is not added to it");
      return null;
    }
    try {
      body.accept(run);
    } finally {
      run.end(RunStatus.FINISHED);
    }
    return runId;
  }
}
