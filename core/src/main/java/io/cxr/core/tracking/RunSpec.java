package io.cxr.core.tracking;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a run is started with: experiment, run name, tags, and the parent's id for a nested run (or
 * null).
 */
public record RunSpec(
    String experiment, String runName, Map<String, String> tags, String parentRunId) {
  public RunSpec {
    tags = Collections.unmodifiableMap(new LinkedHashMap<>(tags));
  }

  /** A top-level run. */
  public static RunSpec of(String experiment, String runName, Map<String, String> tags) {
    return new RunSpec(experiment, runName, tags, null);
  }

  /** The same run nested under {@code parent}. */
  public RunSpec nestedIn(String parent) {
    return new RunSpec(experiment, runName, tags, parent);
  }
}
