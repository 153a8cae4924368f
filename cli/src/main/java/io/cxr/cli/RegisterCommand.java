package io.cxr.cli;

import io.cxr.core.config.CxrConfig;
import io.cxr.core.stage.RegisterStage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cxr register}. */
@Command(
    name = "register",
    mixinStandardHelpOptions = true,
    description = {
      "Register the trained model as a new version of registry.name, and move the "
          + "registry.alias (champion) to it only if its registry.metric is strictly better than "
          + "the champion's. Works against an MLflow server or the local ./mlruns registry."
    })
final class RegisterCommand extends BaseCommand {
  @Option(
      names = "--metrics",
      paramLabel = "<json>",
      description = "metrics file (default: <paths.models>/metrics.json)")
  Path metrics;

  @Option(
      names = "--model",
      paramLabel = "<zip>",
      description = "model file (default: <paths.models>/model.zip)")
  Path model;

  @Parameters(paramLabel = "key=value", description = "config overrides")
  List<String> overrides = new ArrayList<>();

  @Override
  public Integer call() {
    CxrConfig cfg = config(overrides);
    RegisterStage.Result r = RegisterStage.run(cfg, tracker(cfg), metrics, model, reporter());
    out().println(r.describe());
    out().println("registry: " + r.registry());
    return 0;
  }
}
