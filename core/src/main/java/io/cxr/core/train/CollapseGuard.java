package io.cxr.core.train;

import io.cxr.core.config.CxrConfig;
import io.cxr.core.config.ModelType;
import io.cxr.core.eval.BinaryMetrics;
import io.cxr.core.eval.EpochRecord;
import java.util.Locale;

/**
 * Stops a training that has collapsed instead of letting it finish as if it were fine: a non-finite
 * loss ends it at once; validation scores that are all (nearly) equal, which also pins validation
 * AUC at 0.5, end it after {@value #PATIENCE} such epochs in a row. After training, a model that
 * calls every validation image one class (specificity or sensitivity 0 at its threshold) is refused
 * too.
 */
public final class CollapseGuard implements TrainingListener {
  /** Collapsed epochs in a row that stop the run. */
  static final int PATIENCE = 2;

  /** Validation scores closer together than this count as one constant output. */
  static final double MIN_SPREAD = 1e-6;

  private final CxrConfig cfg;
  private int flat;

  public CollapseGuard(CxrConfig cfg) {
    this.cfg = cfg;
  }

  @Override
  public void onEpoch(EpochRecord r) {
    if (!Double.isFinite(r.trainLoss()) || !Double.isFinite(r.valLoss())) {
      throw new TrainingCollapsed(
          String.format(
              Locale.ROOT,
              "training diverged at epoch %d: the loss is %s (try a smaller"
                  + " train.learning_rate than %s; `cxr train --check` tests one batch in seconds)",
              r.epoch(),
              Double.isFinite(r.trainLoss()) ? "finite but val_loss is not" : r.trainLoss(),
              cfg.train().learningRate()));
    }
    boolean collapsed = r.valScoreSpread() < MIN_SPREAD || Math.abs(r.valAuc() - 0.5) < 1e-12;
    flat = collapsed ? flat + 1 : 0;
    if (flat >= PATIENCE) {
      throw new TrainingCollapsed(
          String.format(
              Locale.ROOT,
              "training collapsed: for %d epochs up to epoch %d the network gave every validation"
                  + " image the same score (spread %.2g, val AUC %.4f); try %s, and `cxr train"
                  + " --check`",
              flat,
              r.epoch(),
              r.valScoreSpread(),
              r.valAuc(),
              remedy()));
    }
  }

  /** What to try first: the head that collapses at large sizes, else a smaller rate. */
  private String remedy() {
    String rate = "a smaller train.learning_rate than " + cfg.train().learningRate();
    boolean flatten =
        cfg.model().type() == ModelType.CNN
            && cfg.model().cnn().head() == io.cxr.core.config.CnnHead.FLATTEN;
    return flatten
        ? "model.cnn.head=grid (the flatten head's dense layer collapses at large image sizes) or "
            + rate
        : rate + " or a smaller data.folder_image_size";
  }

  /** Refuses a final model that calls every validation image one class. */
  static void checkFinal(CxrConfig cfg, BinaryMetrics val) {
    double spec = val.confusion().specificity();
    double sens = val.confusion().sensitivity();
    if (spec == 0 || sens == 0) {
      throw new TrainingCollapsed(
          String.format(
              Locale.ROOT,
              "training collapsed: at its threshold the model calls every validation image %s"
                  + " (specificity %.4f, sensitivity %.4f, val AUC %.4f); no model written",
              spec == 0 ? "PNEUMONIA" : "NORMAL",
              spec,
              sens,
              val.roc().auc()));
    }
  }

  /** max - min of the scores (0 for none). */
  static double spread(float[] scores) {
    if (scores.length == 0) {
      return 0;
    }
    float min = Float.POSITIVE_INFINITY;
    float max = Float.NEGATIVE_INFINITY;
    for (float s : scores) {
      min = Math.min(min, s);
      max = Math.max(max, s);
    }
    return (double) max - min;
  }
}
