package io.cxr.core.train;

import io.cxr.core.Reporter;
import io.cxr.core.eval.EpochRecord;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * The console's view of a training: a progress bar per epoch (the reporter's, on stderr) and one
 * line per epoch with its losses, AUCs, time and throughput; {@code *} marks an epoch that improved
 * the early-stopping figure.
 */
public final class EpochLines implements TrainingListener {
  private final PrintWriter out;
  private final Reporter reporter;
  private final boolean quiet;
  private Reporter.Progress bar = Reporter.Progress.NONE;

  /**
   * @param quiet no epoch lines (the progress bar follows the reporter's own setting)
   */
  public EpochLines(PrintWriter out, Reporter reporter, boolean quiet) {
    this.out = out;
    this.reporter = reporter;
    this.quiet = quiet;
  }

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
    if (quiet) {
      return;
    }
    out.printf(
        Locale.ROOT,
        "epoch %2d/%d  loss %.4f  val_loss %.4f  val_auc %.4f%s%s  %5.1fs  %4.0f img/s%n",
        r.epoch(),
        r.epochs(),
        r.trainLoss(),
        r.valLoss(),
        r.valAuc(),
        r.hasExternal() ? String.format(Locale.ROOT, "  ext_auc %.4f", r.externalAuc()) : "",
        r.improved() ? " *" : "  ",
        r.seconds(),
        r.imagesPerSecond());
    out.flush();
  }
}
