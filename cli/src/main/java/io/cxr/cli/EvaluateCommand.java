package io.cxr.cli;

import io.cxr.core.config.CxrConfig;
import io.cxr.core.stage.EvaluateStage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cxr evaluate}. */
@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    description = {
      "Evaluate a saved model on the prepared test split, or on any labelled folder "
          + "or npz, with the model's threshold; write metrics and a Markdown report; apply the "
          + "quality gate (exit 0 = passed, 1 = failed)."
    })
final class EvaluateCommand extends BaseCommand {
  @Mixin ModelOption model;

  @Option(
      names = "--data",
      paramLabel = "<folder|npz>",
      description =
          "labelled Kermany folder or npz (its test split if it has one); "
              + "default: the prepared test split")
  Path data;

  @Option(
      names = "--split",
      paramLabel = "train|val|test|all",
      description =
          "which split of --data to score (default: test; a source with splits but no test split"
              + " is refused rather than scored whole)")
  String split;

  @Option(
      names = {"-o", "--out"},
      paramLabel = "<folder>",
      description =
          "where to write evaluation.json, evaluation.md and plots " + "(default: paths.reports)")
  Path outDir;

  @Option(
      names = "--strict",
      description =
          "stop (exit 2) when --data is a JPEG folder and this machine decodes JPEGs with another "
              + "decoder than the one that made the model's training pixels (default: a warning)")
  boolean strict;

  @Parameters(paramLabel = "key=value", description = "config overrides")
  List<String> overrides = new ArrayList<>();

  @Override
  public Integer call() {
    CxrConfig cfg = config(overrides);
    Path m = modelPath(cfg, model.ref);
    Path o = outDir != null ? outDir : Path.of(cfg.paths().reports());
    EvaluateStage.Result r =
        EvaluateStage.run(cfg, m, data, split, o, strict, reporter(), tracker(cfg));
    out().println("data: " + r.dataName());
    out().print(r.table());
    out().print(r.gateTable());
    out().println("wrote " + r.metricsFile() + " and " + r.report());
    return r.gate().passed() ? 0 : Main.GATE_FAILED;
  }
}
