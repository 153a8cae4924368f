package io.cxr.cli;

import io.cxr.core.Reporter;
import io.cxr.core.config.CxrConfig;
import java.io.PrintWriter;
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

  @Option(names = {"-q", "--quiet"}, description = "print only results and errors")
  boolean quiet;

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  Reporter reporter() {
    return new ConsoleReporter(out(), err(), quiet);
  }

  /** The resolved config; {@code extra} are overrides implied by options (e.g. --model). */
  CxrConfig config(List<String> positional, String... extra) {
    List<String> overrides = new ArrayList<>();
    for (String p : positional == null ? List.<String>of() : positional) {
      if (!ConfigOptions.isOverride(p)) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "unexpected argument '" + p + "' (expected section.key=value overrides)");
      }
      overrides.add(p);
    }
    return configOptions.resolve(overrides, List.of(extra));
  }
}
