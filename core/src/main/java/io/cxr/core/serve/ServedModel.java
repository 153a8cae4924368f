package io.cxr.core.serve;

import io.cxr.core.model.ModelBundle;

/**
 * A loaded model and what it is in the registry: the reference it was asked for ({@code
 * models:/name@alias}, {@code models:/name/3} or a file), its registered name, version and alias
 * when it came from a registry, and the tracking run that trained it.
 */
public record ServedModel(
    ModelBundle bundle, String ref, String name, String version, String alias, String runId) {
  /** A model read from a file, or one whose registry facts are given; the run from its card. */
  public static ServedModel of(
      ModelBundle bundle, String ref, String name, String version, String alias) {
    var provenance = bundle.card().provenance();
    return new ServedModel(
        bundle,
        ref,
        name,
        version,
        alias,
        provenance == null ? null : provenance.get("tracking_run_id"));
  }

  /** How log lines name it: {@code name version 3} or the reference. */
  public String describe() {
    return version == null ? ref : name + " version " + version;
  }
}
