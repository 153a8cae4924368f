package io.cxr.cli;

import io.cxr.core.config.CxrConfig;
import io.cxr.core.io.Json;
import io.cxr.core.model.ModelBundle;
import io.cxr.core.stage.PredictStage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
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
  @Option(
      names = "--model",
      paramLabel = "<zip|models:/name@alias>",
      description =
          "model file or registry reference such as models:/cxr-pneumonia@champion "
              + "(default: <paths.models>/model.zip)")
  String model;

  @Option(
      names = "--strict",
      description =
          "stop (exit 2) when this machine decodes JPEGs with another decoder than the one "
              + "that made the model's training pixels (default: a warning)")
  boolean strict;

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
    if (!List.of("table", "csv", "json").contains(format)) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "--format: expected table, csv or json, got '" + format + "'");
    }
    CxrConfig cfg = config(overrides);
    Path m = modelPath(cfg, model);
    ModelBundle bundle = ModelBundle.load(m);
    List<PredictStage.Prediction> preds =
        PredictStage.run(
            cfg, bundle, m.toString(), paths, strict, "table".equals(format), reporter());
    switch (format) {
      case "csv" -> {
        out().println("file,label,probability_pneumonia");
        preds.forEach(
            p -> out().printf(Locale.ROOT, "%s,%s,%.6f%n", p.file(), p.label(), p.probability()));
      }
      case "json" -> {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (PredictStage.Prediction p : preds) {
          Map<String, Object> r = new LinkedHashMap<>();
          r.put("file", p.file().toString());
          r.put("label", p.label());
          r.put("probability_pneumonia", p.probability());
          rows.add(r);
        }
        out().print(Json.toJson(rows));
      }
      default -> {
        preds.forEach(
            p ->
                out()
                    .printf(Locale.ROOT, "%-10s %.4f  %s%n", p.label(), p.probability(), p.file()));
        long pn = preds.stream().filter(p -> p.label().equals("PNEUMONIA")).count();
        out()
            .printf(
                Locale.ROOT,
                "%d images: %d PNEUMONIA, %d NORMAL (threshold %.4f)%n",
                preds.size(),
                pn,
                preds.size() - pn,
                bundle.card().threshold());
      }
    }
    return 0;
  }
}
