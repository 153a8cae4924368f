package io.cxr.core.stage;

import io.cxr.core.Reporter;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.io.Owner;
import java.nio.file.Path;
import java.util.List;

/** The folders a config writes to, and the cleaning every command does there before it starts. */
public final class Workspace {
  private Workspace() {}

  /** Where cxr's temp files and folders can be: beside and inside each configured output. */
  public static List<Path> outputFolders(CxrConfig cfg) {
    Path prepared = Path.of(cfg.paths().prepared()).toAbsolutePath();
    Path artifacts = Path.of(cfg.paths().artifacts()).toAbsolutePath();
    return java.util.stream.Stream.of(
            prepared.getParent(), // none for the root folder
            prepared,
            Path.of(cfg.paths().models()).toAbsolutePath(),
            Path.of(cfg.paths().reports()).toAbsolutePath(),
            artifacts,
            artifacts.resolve(cfg.experiment().name()),
            Path.of(cfg.tracking().localDir()).toAbsolutePath())
        .filter(java.util.Objects::nonNull)
        .toList();
  }

  /**
   * Removes the temp files and folders (a half-written prepared set of about 1 GB at 224 px, a
   * model being saved) that a cxr process on this host left when it died; each removal is one
   * warning line.
   */
  public static List<Path> removeOrphans(CxrConfig cfg, Reporter reporter) {
    return Owner.sweep(outputFolders(cfg), reporter::warn);
  }
}
