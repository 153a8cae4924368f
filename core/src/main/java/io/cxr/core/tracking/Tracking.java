package io.cxr.core.tracking;

import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.config.CxrConfig;
import java.nio.file.Path;
import java.util.Map;

/** Chooses where runs go: {@code tracking.uri}, else MLFLOW_TRACKING_URI, else ./mlruns. */
public final class Tracking {
  private Tracking() {}

  /** The effective URI, or "" for the local store. */
  public static String uri(CxrConfig cfg, Map<String, String> env) {
    String u = cfg.tracking().uri();
    if (u == null || u.isBlank()) {
      u = env.getOrDefault("MLFLOW_TRACKING_URI", "");
    }
    return u == null ? "" : u.trim();
  }

  /**
   * Opens the tracker. An unreachable server is a warning (runs stay local) unless {@code
   * tracking.required=true}; a malformed URI is always an error.
   */
  public static MirroredTracker open(CxrConfig cfg, Map<String, String> env, Reporter reporter) {
    String uri = uri(cfg, env);
    Path localDir = Path.of(cfg.tracking().localDir());
    if (uri.isEmpty()) {
      return recovered(new MirroredTracker(new FileStore(localDir), null, reporter), reporter);
    }
    if (uri.startsWith("file:")) {
      String p = uri.substring("file:".length()).replaceFirst("^//", "");
      return recovered(new MirroredTracker(new FileStore(Path.of(p)), null, reporter), reporter);
    }
    MlflowRemote remote;
    try {
      remote = MlflowRemote.of(uri, env);
    } catch (CxrException e) {
      throw fromEnvironment(cfg, e);
    }
    try {
      remote.ping();
    } catch (CxrException e) {
      if (cfg.tracking().required()) {
        throw new CxrException(e.getMessage() + " (tracking.required=true)");
      }
      reporter.warn(
          e.getMessage()
              + "; recording in "
              + localDir.toAbsolutePath()
              + " instead (push later with `cxr runs sync --to "
              + remote.display()
              + "`)");
      return recovered(new MirroredTracker(new FileStore(localDir), null, reporter), reporter);
    }
    return recovered(new MirroredTracker(new FileStore(localDir), remote, reporter), reporter);
  }

  /** Ends the runs a dead process left RUNNING before this command starts its own. */
  private static MirroredTracker recovered(MirroredTracker t, Reporter reporter) {
    RunJanitor.recover(t.local(), t.remote(), reporter);
    return t;
  }

  /** Names the environment variable when the bad URI came from there, not from the config. */
  private static CxrException fromEnvironment(CxrConfig cfg, CxrException e) {
    String configured = cfg.tracking().uri();
    if (configured == null || configured.isBlank()) {
      return new CxrException(
          e.getMessage() + " (from the environment variable MLFLOW_TRACKING_URI)", e);
    }
    return e;
  }

  /** A remote for a URI that must answer (sync, registry). */
  public static MlflowRemote connect(String uri, Map<String, String> env) {
    MlflowRemote remote = MlflowRemote.of(uri, env);
    remote.ping();
    return remote;
  }
}
