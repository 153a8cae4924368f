package io.cxr.cli;

import io.cxr.core.Reporter;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.registry.ModelRefs;
import io.cxr.core.stage.Workspace;
import io.cxr.core.tracking.MirroredTracker;
import io.cxr.core.tracking.Tracking;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** What every command shares: config, overrides, output streams, exit codes. */
abstract class BaseCommand implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  @Mixin ConfigOptions configOptions;

  @Option(
      names = {"-q", "--quiet"},
      description = "print only results and errors")
  boolean quiet;

  @Option(
      names = "--tracking-uri",
      paramLabel = "<uri>",
      description =
          "MLflow tracking server (default: tracking.uri, else MLFLOW_TRACKING_URI, "
              + "else the local ./mlruns store)")
  String trackingUri;

  /** The tracker for this command's runs. */
  MirroredTracker tracker(CxrConfig cfg) {
    return Tracking.open(cfg, System.getenv(), reporter());
  }

  /** A model path, or a registry reference models:/name@alias resolved to a file. */
  Path modelPath(CxrConfig cfg, String ref) {
    return ModelRefs.locate(cfg, ref, () -> tracker(cfg));
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  Reporter reporter() {
    return new ConsoleReporter(out(), err(), quiet);
  }

  /** Overrides from positionals and options, in the order they apply. */
  List<String> overrides(List<String> positional, String... extra) {
    List<String> overrides = new ArrayList<>();
    for (String p : positional == null ? List.<String>of() : positional) {
      if (!ConfigOptions.isOverride(p)) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "unexpected argument '" + p + "' (expected section.key=value overrides)");
      }
      overrides.add(p);
    }
    overrides.addAll(List.of(extra));
    if (trackingUri != null) {
      overrides.add("tracking.uri=" + trackingUri);
    }
    return overrides;
  }

  /** The resolved config; {@code extra} are overrides implied by options (e.g. --model). */
  CxrConfig config(List<String> positional, String... extra) {
    CxrConfig cfg = configOptions.resolve(overrides(positional, extra), List.of());
    Workspace.removeOrphans(cfg, reporter()); // what a killed cxr process left behind
    return cfg;
  }
}
