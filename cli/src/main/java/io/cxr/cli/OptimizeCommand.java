package io.cxr.cli;

import io.cxr.core.CxrException;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.hpo.Trial;
import io.cxr.core.stage.FannedOutSearch;
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

  @Option(
      names = "--plan",
      description =
          "fan the search out (Airflow's cxr_hpo DAG): draw the candidates, open the parent run and"
              + " write the plan (artifacts/<experiment>/hpo/plan.json; with a tracking server also"
              + " on the parent run, with the prepared data); prints the parent run and trial"
              + " numbers as one JSON line, the last one (random and grid only)")
  boolean plan;

  @Option(
      names = "--trial",
      paramLabel = "N",
      description =
          "run trial N of the plan as a nested run of its parent, on any host that reaches the"
              + " same tracking server (a host without the plan or the data takes both from it) or"
              + " store; pruned against the trials already completed")
  Integer trial;

  @Option(
      names = "--select",
      description =
          "end a fanned-out search: read its trials back (each counted once; runs of dead workers"
              + " are ended FAILED), write the best config, end the parent run")
  boolean select;

  @Parameters(paramLabel = "key=value", description = "config overrides (e.g. hpo.trials=10)")
  List<String> args = new ArrayList<>();

  @Override
  public Integer call() {
    List<String> overrides =
        model == null ? overrides(args) : overrides(args, "model.type=" + model);
    int steps = (plan ? 1 : 0) + (trial != null ? 1 : 0) + (select ? 1 : 0) + (resume ? 1 : 0);
    if (steps > 1) {
      throw new CxrException("--plan, --trial, --select and --resume are one at a time");
    }
    if (refit && (plan || trial != null)) {
      throw new CxrException("--refit goes with the search's end: a whole search or --select");
    }
    CxrConfig cfg = configOptions.resolve(overrides, List.of());
    Workspace.removeOrphans(cfg, reporter());
    if (plan) {
      var p = FannedOutSearch.plan(cfg, configOptions.file(), overrides, tracker(cfg), reporter());
      out().println(p.summaryJson());
      return 0;
    }
    if (trial != null) {
      return runTrial(cfg, overrides);
    }
    OptimizeStage.Result r =
        select
            ? FannedOutSearch.select(
                cfg, configOptions.file(), overrides, refit, tracker(cfg), reporter())
            : OptimizeStage.run(
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

  /** {@code --trial N}: one trial of a planned search. */
  private int runTrial(CxrConfig cfg, List<String> overrides) {
    Trial t =
        FannedOutSearch.trial(
            cfg, configOptions.file(), overrides, trial, tracker(cfg), reporter());
    out()
        .printf(
            Locale.ROOT,
            "trial %d %s: %s %.4f after %d epochs (%.1f s, run %s)%n",
            t.number(),
            t.state(),
            cfg.hpo().objective().metric(),
            t.score(),
            t.epochs(),
            t.seconds(),
            t.runId());
    return 0;
  }
}
