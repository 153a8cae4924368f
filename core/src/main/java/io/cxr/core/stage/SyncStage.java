package io.cxr.core.stage;

import io.cxr.core.Reporter;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.tracking.FileStore;
import io.cxr.core.tracking.MlflowRemote;
import io.cxr.core.tracking.RunJanitor;
import io.cxr.core.tracking.RunSync;
import io.cxr.core.tracking.Tracking;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code cxr runs sync --to <uri>}: pushes the local runs (params, metric histories, tags,
 * artifacts, status) to an MLflow server; running it again adds nothing twice.
 */
public final class SyncStage {
  private SyncStage() {}

  /** What was synced, from where to where. */
  public record Result(RunSync.Result sync, Path from, String to) {}

  public static Result run(CxrConfig cfg, String to, Map<String, String> env, Reporter reporter) {
    FileStore local = new FileStore(Path.of(cfg.tracking().localDir()));
    try (MlflowRemote remote = Tracking.connect(to, env)) {
      // a run a dead process left RUNNING is pushed as FAILED, not as RUNNING forever
      RunJanitor.recover(local, null, reporter);
      return new Result(RunSync.sync(local, remote, reporter), local.root(), remote.display());
    }
  }
}
