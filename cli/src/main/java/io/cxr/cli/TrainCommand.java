package io.cxr.cli;

import io.cxr.core.Reporter;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.eval.EpochRecord;
import io.cxr.core.report.Reports;
import io.cxr.core.stage.TrainStage;
import io.cxr.core.train.Trainer;
import io.cxr.core.train.TrainingListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
      Trainer.CheckResult c =
          Trainer.check(
              cfg,
              io.cxr.core.data.PreparedDataset.load(Path.of(cfg.paths().prepared())),
              reporter);
      out()
          .printf(
              Locale.ROOT,
              "one-batch check (%s, %d images, %d iterations): loss %.4f -> %.4f: %s%n",
              cfg.model().type(),
              c.images(),
              c.iterations(),
              c.firstLoss(),
              c.lastLoss(),
              c.passed()
                  ? "passed"
                  : "FAILED (the network cannot fit one batch: check train.learning_rate, "
                      + "train.normalization and the image size)");
      return c.passed() ? 0 : Main.COLLAPSED;
    }
    TrainingListener lines =
        new TrainingListener() {
          Reporter.Progress bar = Reporter.Progress.NONE;

          @Override
          public void onBatch(int epoch, int batch, int batches) {
            if (batch == 1) {
              bar = reporter.progress("epoch " + epoch, batches);
            }
            bar.step();
            if (batch == batches) {
              bar.close();
            }
          }

          @Override
          public void onEpoch(EpochRecord r) {
            if (!quiet) {
              out()
                  .printf(
                      Locale.ROOT,
                      "epoch %2d/%d  loss %.4f  val_loss %.4f  val_auc %.4f%s%s  %5.1fs  %4.0f img/s%n",
                      r.epoch(),
                      r.epochs(),
                      r.trainLoss(),
                      r.valLoss(),
                      r.valAuc(),
                      r.hasExternal()
                          ? String.format(Locale.ROOT, "  ext_auc %.4f", r.externalAuc())
                          : "",
                      r.improved() ? " *" : "  ",
                      r.seconds(),
                      r.imagesPerSecond());
              out().flush();
            }
          }
        };
    Trainer.Outcome o = TrainStage.run(cfg, lines, reporter, tracker(cfg), resume);
    List<String> columns = new java.util.ArrayList<>(List.of("train", "val", "test"));
    // the pooled external sets (each set's figures are in metrics.json as external_<name>_*)
    o.external().stream().limit(1).forEach(e -> columns.add(e.name()));
    out().print(Reports.table(o.metrics(), columns));
    out()
        .printf(
            Locale.ROOT,
            "%s trained in %.1f s (best epoch %.0f of %.0f), threshold %.4f; wrote %s/model.zip, "
                + "%s/metrics.json, plots in %s%n",
            cfg.model().type(),
            o.seconds(),
            o.metrics().get("best_epoch"),
            o.metrics().get("epochs_run"),
            o.metrics().get("threshold"),
            cfg.paths().models(),
            cfg.paths().models(),
            cfg.experimentArtifacts());
    return 0;
  }
}
