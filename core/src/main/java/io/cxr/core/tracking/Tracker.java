package io.cxr.core.tracking;

import java.util.Map;
import java.util.function.Function;

/** Starts tracked runs: the local MLflow file store, an MLflow server, or both. */
public interface Tracker {
  /** Where runs go, for messages (no credentials). */
  String describe();

  /**
   * Starts a run.
   *
   * @param parentRunId the parent's id for a nested run, or null
   */
  TrackedRun start(String experiment, String runName, Map<String, String> tags, String parentRunId);

  /**
   * Reopens an existing run to add to it (ending it keeps its status), or null when this tracker
   * does not have it.
   */
  default TrackedRun reopen(String experimentId, String runId) {
    return null;
  }

  /**
   * The tracked-run lifecycle in one place: starts a run, runs {@code body} with it, and ends it
   * FINISHED when the body returns or FAILED when it throws (the exception goes on). A body may end
   * the run itself first (a search trial that failed without throwing ends FAILED); a second end is
   * a no-op.
   */
  default <T> T within(RunSpec spec, Function<TrackedRun, T> body) {
    return within(start(spec.experiment(), spec.runName(), spec.tags(), spec.parentRunId()), body);
  }

  /**
   * Continues a run that a killed process left (its checkpoint's run), or null when this tracker
   * does not have it: RUNNING again, owned by this process, ended by this one.
   */
  default TrackedRun resume(String experimentId, String runId) {
    return null;
  }

  /** The lifecycle of {@link #within(RunSpec, Function)} for a run already started or resumed. */
  default <T> T within(TrackedRun run, Function<TrackedRun, T> body) {
    try {
      T result = body.apply(run);
      run.end(RunStatus.FINISHED);
      return result;
    } catch (RuntimeException | Error e) {
      run.end(RunStatus.FAILED);
      throw e;
    }
  }
}
