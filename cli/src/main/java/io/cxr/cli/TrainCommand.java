package io.cxr.cli;

import io.cxr.core.Reporter;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.stage.TrainStage;
import io.cxr.core.train.EpochLines;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cxr train}. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Train a CNN or the dense baseline (or an ensemble of them, train.ensemble) on the "
          + "prepared data, with early stopping on validation AUC or log-loss and a decision "
          + "threshold chosen on validation.",
      "Writes models/model.zip, models/metrics.json and plots under artifacts/<experiment>/."
    })
final class TrainCommand extends BaseCommand {
  @Option(
      names = {"-m", "--model"},
      paramLabel = "cnn|dense",
      description = "model type (default: model.type)")
  String model;

  @Option(
      names = "--check",
      description =
          "only the sanity check: fit one training batch for a few seconds; exit 0 when its loss "
              + "falls below half, 4 when it does not (nothing is written, no run is recorded)")
  boolean check;

  @Option(
      names = "--resume",
      description =
          "continue a train that was stopped (kill, crash, power cut) from its last checkpoint"
              + " (<paths.models>/checkpoint, written after every epoch), in the same MLflow run;"
              + " the final metrics are those of an uninterrupted run. Same config and data"
              + " required")
  boolean resume;

  @Parameters(paramLabel = "key=value", description = "config overrides")
  List<String> overrides = new ArrayList<>();

  @Override
  public Integer call() {
    CxrConfig cfg = model == null ? config(overrides) : config(overrides, "model.type=" + model);
    Reporter reporter = reporter();
    if (check) {
      var c = TrainStage.check(cfg, reporter);
      out().println(c.summary(cfg.model().type().key()));
      return c.passed() ? 0 : Main.COLLAPSED;
    }
    var r =
        TrainStage.run(cfg, new EpochLines(out(), reporter, quiet), reporter, tracker(cfg), resume);
    out().print(TrainStage.table(r));
    out().println(TrainStage.summary(cfg, r));
    return 0;
  }
}
