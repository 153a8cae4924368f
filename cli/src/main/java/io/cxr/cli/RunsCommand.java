package io.cxr.cli;

import io.cxr.core.config.CxrConfig;
import io.cxr.core.stage.SyncStage;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cxr runs}: the local run store. */
@Command(
    name = "runs",
    mixinStandardHelpOptions = true,
    description = "Work with the runs recorded in the local store (tracking.local_dir).",
    subcommands = {RunsCommand.Sync.class})
final class RunsCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
  }

  /** {@code cxr runs sync --to <uri>}. */
  @Command(
      name = "sync",
      mixinStandardHelpOptions = true,
      description =
          "Push local runs (params, metric histories, tags, artifacts, status) to an "
              + "MLflow server. Syncing again adds nothing twice.")
  static final class Sync extends BaseCommand {
    @Option(
        names = "--to",
        paramLabel = "<uri>",
        required = true,
        description = "the MLflow tracking server, e.g. http://127.0.0.1:5000")
    String to;

    @Parameters(paramLabel = "key=value", description = "config overrides")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() {
      CxrConfig cfg = config(overrides);
      SyncStage.Result s = SyncStage.run(cfg, to, System.getenv(), reporter());
      var r = s.sync();
      out()
          .printf(
              "synced %d runs from %s to %s: %d created, %d metric points and %d "
                  + "artifact files sent%n",
              r.runs(), s.from(), s.to(), r.created(), r.metricPoints(), r.artifacts());
      return 0;
    }
  }
}
