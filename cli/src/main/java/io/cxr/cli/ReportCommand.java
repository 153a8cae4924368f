package io.cxr.cli;

import io.cxr.core.config.CxrConfig;
import io.cxr.core.stage.ReportStage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cxr report}. */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description = {
      "Write one report about the prepared data and a model: splits, classes, patients, sample"
          + " and mean images, intensity and size histograms, duplicates; training curves, ROC,"
          + " PR, confusion matrices and calibration on validation, test and any external set;"
          + " the threshold, the quality gate, the most confident errors with their Grad-CAM"
          + " maps, provenance. HTML (one self-contained file, opens from disk, loads nothing)"
          + " or Markdown with PNGs; logged to the model's MLflow run."
    })
final class ReportCommand extends BaseCommand {
  @Mixin ModelOption model;

  @Option(
      names = "--data",
      paramLabel = "<folder>",
      description = "prepared data folder (default: paths.prepared)")
  Path data;

  @Option(
      names = "--external",
      paramLabel = "<folder|npz>",
      description =
          "a labelled Kermany folder or npz collected elsewhere, scored as an external set (its"
              + " test split when it has one); repeatable")
  List<Path> externals = new ArrayList<>();

  @Option(
      names = "--format",
      paramLabel = "html|md",
      defaultValue = "html",
      description =
          "html: one file (default <paths.reports>/report.html); md: a folder of report.md and"
              + " PNGs for pull-request comments (default <paths.reports>/report/)")
  String format;

  @Option(
      names = {"-o", "--out"},
      paramLabel = "<file|folder>",
      description = "where to write it (replaces only a report cxr wrote)")
  Path out;

  @Option(names = "--no-log", description = "do not add the report to the model's MLflow run")
  boolean noLog;

  @Parameters(paramLabel = "key=value", description = "config overrides")
  List<String> overrides = new ArrayList<>();

  @Override
  public Integer call() {
    CxrConfig cfg = config(overrides);
    ReportStage.Format f = ReportStage.Format.of(format);
    Path m = modelPath(cfg, model.ref);
    Path prepared = data != null ? data : Path.of(cfg.paths().prepared());
    Path o = out != null ? out : ReportStage.defaultOut(cfg, f);
    ReportStage.Result r =
        ReportStage.run(cfg, m, prepared, externals, o, f, reporter(), noLog ? null : tracker(cfg));
    out()
        .printf(
            Locale.ROOT,
            "wrote %s (%d sections, %d figures, %.1f MB) in %.1f s%s%n",
            r.output(),
            r.sections(),
            r.figures(),
            r.bytes() / 1e6,
            r.seconds(),
            r.loggedTo() == null ? "" : "; logged to MLflow run " + r.loggedTo());
    return 0;
  }
}
