package io.cxr.cli;

import io.cxr.core.config.CxrConfig;
import io.cxr.core.stage.OptimizeStage;
import io.cxr.core.stage.Workspace;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cxr optimize}. */
@Command(
    name = "optimize",
    mixinStandardHelpOptions = true,
    description = {
      "Hyper-parameter search: Arbiter proposes candidates from hpo.space (random, grid or "
          + "genetic), each trial trains on the prepared data and is scored on validation AUC "
          + "only, with median pruning; one parent MLflow run, one nested run per trial.",
      "Writes the best trial's full config to hpo.output (reproduce it with "
          + "`cxr train --config <file>`)."
    })
final class OptimizeCommand extends BaseCommand {
  @Option(
      names = {"-m", "--model"},
      paramLabel = "cnn|dense",
      description = "model type to search (default: model.type)")
  String model;

  @Option(
      names = "--refit",
      description = "retrain the best config on train + val and evaluate it on test")
  boolean refit;

  @Option(
      names = "--resume",
      description =
          "continue a search that was killed: same parent run, the trials it finished are taken"
              + " from its journal (artifacts/<experiment>/hpo/journal.json), not run again; give"
              + " the same config and overrides as the killed search")
  boolean resume;

  @Parameters(paramLabel = "key=value", description = "config overrides (e.g. hpo.trials=10)")
  List<String> args = new ArrayList<>();

  @Override
  public Integer call() {
    List<String> overrides =
        model == null ? overrides(args) : overrides(args, "model.type=" + model);
    CxrConfig cfg = configOptions.resolve(overrides, List.of());
    Workspace.removeOrphans(cfg, reporter());
    OptimizeStage.Result r =
        OptimizeStage.run(
            cfg, configOptions.file(), overrides, refit, resume, tracker(cfg), reporter());
    out()
        .printf(
            Locale.ROOT,
            "%d trials in %.1f s (%d pruned); best: trial %d, %s %.4f%n",
            r.trials().size(),
            r.seconds(),
            r.pruned(),
            r.best().number(),
            cfg.hpo().objective().metric(),
            r.best().score());
    out()
        .println("best config: " + r.bestConfig() + " (cxr train --config " + r.bestConfig() + ")");
    if (r.refit() != null) {
      var test = r.refit().split(io.cxr.core.data.Split.TEST);
      out()
          .printf(
              Locale.ROOT,
              "refit on train+val: test_auc %.4f  test_f1 %.4f  test_accuracy %.4f  "
                  + "test_specificity %.4f%n",
              test.roc().auc(),
              test.confusion().f1(),
              test.confusion().accuracy(),
              test.confusion().specificity());
    }
    return 0;
  }
}
