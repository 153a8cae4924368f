package io.cxr.cli;

import io.cxr.core.CxrException;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.io.AtomicFiles;
import io.cxr.core.model.ModelBundle;
import io.cxr.core.model.Prediction;
import io.cxr.core.model.Saliency;
import io.cxr.core.report.PredictionFormats;
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
    if (!PredictionFormats.FORMATS.contains(format)) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "--format: expected table, csv or json, got '" + format + "'");
    }
    if (explain != null) {
      PredictStage.requireMapFolder(explain); // before the work, not after it
    }
    CxrConfig cfg = config(overrides);
    Path m = modelPath(cfg, model.ref);
    ModelBundle bundle = ModelBundle.load(m);
    if (explainMethod != null) {
      if (explain == null) {
        throw new CxrException("--explain-method needs --explain <dir>");
      }
      Saliency.requireMethod(bundle, explainMethod);
    }
    List<Prediction> preds =
        PredictStage.run(
            cfg, bundle, m.toString(), paths, strict, "table".equals(format), reporter());
    if (preds.size() == 1 && preds.get(0).failed()) {
      // one image asked for, none read: plain bad input
      throw new CxrException(preds.get(0).error());
    }
    if (explain != null) {
      List<Path> maps = PredictStage.explain(bundle, preds, explain, explainMethod, reporter());
      err().println("wrote " + maps.size() + " maps to " + explain);
    }
    String text = PredictionFormats.format(format, preds, bundle.card().threshold());
    if (output != null) {
      AtomicFiles.writeString(output, text);
      err().println("wrote " + preds.size() + " predictions to " + output);
    } else {
      out().print(text);
    }
    long failed = preds.stream().filter(Prediction::failed).count();
    if (failed > 0) {
      preds.stream()
          .filter(Prediction::failed)
          .forEach(p -> err().println("cxr: error: " + p.error()));
      err()
          .println(
              "cxr: error: "
                  + failed
                  + " of "
                  + preds.size()
                  + " images could not be read (the others were predicted)");
      return Main.PARTIAL;
    }
    return 0;
  }
}
