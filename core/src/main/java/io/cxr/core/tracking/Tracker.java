package io.cxr.core.tracking;

import java.util.Map;

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
}
