package io.cxr.cli;

import io.cxr.core.config.CxrConfig;
import io.cxr.core.stage.PredictStage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cxr predict}. */
@Command(
    name = "predict",
    mixinStandardHelpOptions = true,
    description =
        "Label images (files or folders) as NORMAL or PNEUMONIA with a saved model and "
            + "its threshold.")
final class PredictCommand extends BaseCommand {
  @Mixin ModelOption model;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "<file>",
      description = "write the output to this file (atomically) instead of standard output")
  Path output;

  @Option(
      names = "--strict",
      description =
          "stop (exit 2) when this machine decodes JPEGs with another decoder than the one "
              + "that made the model's training pixels (default: a warning)")
  boolean strict;

  @Option(
      names = "--explain",
      paramLabel = "<dir>",
      description =
          "also write, per image, the X-ray with a heat map of where the evidence for PNEUMONIA"
              + " lies (Grad-CAM for the CNN, occlusion for the dense model) into this folder")
  Path explain;

  @Option(
      names = "--explain-method",
      paramLabel = "grad-cam|occlusion",
      description =
          "the map --explain draws: grad-cam (the CNN's default; class activation of the last"
              + " convolutional block) or occlusion (the score drop when a patch is greyed; slower,"
              + " any model, and the more faithful of the two on the default CNN: see docs/model.md)")
  String explainMethod;

  @Option(
      names = "--format",
      paramLabel = "table|csv|json",
      defaultValue = "table",
      description = "output format (default: ${DEFAULT-VALUE})")
  String format;

  @Parameters(
      paramLabel = "<path>",
      arity = "1..*",
      description = "image files or folders (and key=value config overrides)")
  List<String> args = new ArrayList<>();

  @Override
  public Integer call() {
    List<String> overrides = args.stream().filter(ConfigOptions::isOverride).toList();
    List<Path> paths =
        args.stream().filter(a -> !ConfigOptions.isOverride(a)).map(Path::of).toList();
    CxrConfig cfg = config(overrides);
    PredictStage.Outcome o =
        PredictStage.predict(
            cfg,
            modelPath(cfg, model.ref),
            PredictStage.Request.of(paths, strict, format, output, explain, explainMethod),
            reporter());
    if (explain != null) {
      err().println("wrote " + o.maps().size() + " maps to " + explain);
    }
    if (output != null) {
      err().println("wrote " + o.predictions().size() + " predictions to " + output);
    } else {
      out().print(o.text());
    }
    if (!o.failed().isEmpty()) {
      o.failed().forEach(p -> err().println("cxr: error: " + p.error()));
      err()
          .println(
              "cxr: error: "
                  + o.failed().size()
                  + " of "
                  + o.predictions().size()
                  + " images could not be read (the others were predicted)");
      return Main.PARTIAL;
    }
    return 0;
  }
}
