package io.cxr.core.train;

import io.cxr.core.Reporter;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.config.ModelType;
import io.cxr.core.data.PreparedDataset;
import io.cxr.core.data.Split;
import io.cxr.core.eval.BinaryMetrics;
import io.cxr.core.eval.EpochRecord;
import io.cxr.core.model.NetworkFactory;
import io.cxr.core.model.Scorer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One network's training: built afresh or restored from its checkpoint, then fitted epoch by epoch
 * (seeded shuffle and augmentation, one fit per batch, validation and external sets scored after
 * each epoch) until early stopping or the last epoch, and left with its best epoch's weights.
 * Listeners see every batch and epoch: the caller's, then early stopping, the collapse guard and,
 * when a plan names a folder, the checkpoint writer.
 */
final class MemberTraining {
  /** One trained network: its best epoch's weights, its epochs, time spent before a resume. */
  record Member(
      MultiLayerNetwork net, int bestEpoch, List<EpochRecord> history, double secondsBefore) {}

  private final CxrConfig cfg;
  private final CxrConfig.Train t;
  private final PreparedDataset data;
  private final TrainingListener outer;
  private final Reporter reporter;
  private final Checkpoint.Plan plan;
  private final long t0;
  private final List<EpochRecord> history = new ArrayList<>();

  MemberTraining(
      CxrConfig cfg,
      PreparedDataset data,
      TrainingListener outer,
      Reporter reporter,
      Checkpoint.Plan plan,
      long t0) {
    this.cfg = cfg;
    this.t = cfg.train();
    this.data = data;
    this.outer = outer;
    this.reporter = reporter;
    this.plan = plan;
    this.t0 = t0;
  }

  /** Trains (or resumes) the network and returns it with its best epoch's weights. */
  Member run() {
    PreparedDataset.Images train = data.split(Split.TRAIN);
    double[] weights = Trainer.classWeights(t.classWeights(), train.y());
    Checkpoint.Loaded resumed =
        plan.resume() ? Checkpoint.load(plan.dir(), cfg, data.manifestSha256()) : null;
    ModelType type = cfg.model().type();
    MultiLayerNetwork net =
        resumed != null
            ? resumed.network()
            : NetworkFactory.build(type, cfg, data.imageSize(), weights);
    outer.onStart(type.key(), net.numParams(), train.n(), t.epochs());
    describe(net, weights);
    EarlyStopping stopping =
        new EarlyStopping(
            t.earlyStopping().patience(),
            t.earlyStopping().minDelta(),
            t.earlyStopping().onLogLoss(),
            t.earlyStopping().onExternal(),
            () -> net.params().dup());
    double before = resumed == null ? 0 : restore(resumed, stopping);
    List<TrainingListener> ls = new ArrayList<>(List.of(stopping, outer, new CollapseGuard(cfg)));
    if (plan.dir() != null) {
      ls.add(
          new CheckpointWriter(
              plan, cfg, data.manifestSha256(), net, stopping, history, before, t0));
    }
    if (!stopping.shouldStop()) { // else resumed from the checkpoint of the epoch that stopped it
      epochs(net, stopping, TrainingListener.all(ls.toArray(TrainingListener[]::new)));
    }
    return new Member(net, keepBest(net, stopping), history, before);
  }

  private void describe(MultiLayerNetwork net, double[] weights) {
    int size = data.imageSize();
    reporter.info(
        String.format(
            Locale.ROOT,
            "model %s: %,d parameters; %d train / %d val images of %dx%d; class weights %.3f/%.3f",
            cfg.model().type().key(),
            net.numParams(),
            data.split(Split.TRAIN).n(),
            data.split(Split.VAL).n(),
            size,
            size,
            weights[0],
            weights[1]));
    DivergenceRisk.warnings(cfg, size).forEach(reporter::warn);
  }

  /** Early stopping and the epochs so far from a checkpoint; returns the seconds spent before. */
  private double restore(Checkpoint.Loaded resumed, EarlyStopping stopping) {
    Checkpoint.State st = resumed.state();
    stopping.restore(st.bestScore(), st.bestEpoch(), st.stale(), resumed.bestWeights());
    history.addAll(st.history());
    reporter.info(
        String.format(
            Locale.ROOT,
            "resuming after epoch %d of %d (best epoch %d, val %s %.4f) from %s",
            st.epoch(),
            t.epochs(),
            st.bestEpoch(),
            t.earlyStopping().onLogLoss() ? "log-loss" : "AUC",
            t.earlyStopping().onLogLoss() ? -st.bestScore() : st.bestScore(),
            plan.dir()));
    return st.seconds();
  }

  /** Restores the best epoch's weights; returns the best epoch. */
  private int keepBest(MultiLayerNetwork net, EarlyStopping stopping) {
    String figure =
        (t.earlyStopping().onExternal() ? "external " : "validation ")
            + (t.earlyStopping().onLogLoss() ? "log-loss" : "AUC");
    if (stopping.shouldStop()) {
      reporter.info(
          "early stop after epoch "
              + history.size()
              + ": "
              + figure
              + " has not improved for "
              + stopping.stale()
              + " epochs; best epoch "
              + stopping.bestEpoch());
    }
    if (stopping.bestWeights() == null) {
      // the validation figure never finite (a diverged run): keep the last weights, say so
      reporter.warn(
          figure + " was never finite (training diverged?): keeping the last epoch's weights");
      return history.size();
    }
    net.setParams(stopping.bestWeights());
    return stopping.bestEpoch();
  }

  /** The epochs from the first not yet run, until early stopping or the last. */
  private void epochs(MultiLayerNetwork net, EarlyStopping stopping, TrainingListener listener) {
    PreparedDataset.Images train = data.split(Split.TRAIN);
    Augmenter augmenter =
        cfg.model().type() == ModelType.CNN && t.augment().enabled()
            ? new Augmenter(t.augment())
            : null;
    for (int epoch = history.size() + 1; epoch <= t.epochs(); epoch++) {
      long e0 = System.nanoTime();
      double trainLoss = fitEpoch(net, epoch, augmenter, listener) / train.n();
      if (t.schedule() == io.cxr.core.config.Schedule.COSINE) {
        net.incrementEpochCount(); // the cosine schedule reads the network's epoch count
      }
      EpochRecord rec = score(net, epoch, trainLoss, stopping, e0);
      history.add(rec);
      listener.onEpoch(rec);
      if (stopping.shouldStop()) {
        break;
      }
    }
  }

  /** One pass over the shuffled training split; returns the summed loss. */
  private double fitEpoch(
      MultiLayerNetwork net, int epoch, Augmenter augmenter, TrainingListener listener) {
    PreparedDataset.Images train = data.split(Split.TRAIN);
    int batches = (train.n() + t.batchSize() - 1) / t.batchSize();
    // every draw of an epoch (shuffle, augmentation, dropout) comes from generators seeded by
    // (seed, epoch): a run resumed from a checkpoint continues exactly as it would have
    long epochSeed = cfg.seed() * 1_000_003L + epoch;
    Random rnd = new Random(epochSeed);
    Nd4j.getRandom().setSeed(epochSeed);
    int[] order = Trainer.identity(train.n());
    Trainer.shuffle(order, rnd);
    double lossSum = 0;
    for (int b = 0; b < batches; b++) {
      int from = b * t.batchSize();
      int n = Math.min(t.batchSize(), train.n() - from);
      DataSet ds =
          Batches.training(
              train.source(),
              train.y(),
              order,
              from,
              n,
              train.size(),
              t.normalization(),
              augmenter,
              rnd);
      Batches.soften(ds, t.mixup(), t.labelSmoothing(), rnd);
      net.fit(ds);
      lossSum += net.score() * n;
      Scorer.release(ds.getFeatures());
      Scorer.release(ds.getLabels());
      listener.onBatch(epoch, b + 1, batches);
    }
    return lossSum;
  }

  /** The epoch's record: validation (and external) loss and AUC, time, whether it improved. */
  private EpochRecord score(
      MultiLayerNetwork net, int epoch, double trainLoss, EarlyStopping stopping, long e0) {
    PreparedDataset.Images val = data.split(Split.VAL);
    PreparedDataset.Images ext = data.externalPooled();
    float[] valScores = Scorer.scores(net, t.normalization(), val);
    BinaryMetrics vm = BinaryMetrics.of(val.y(), valScores, 0.5);
    BinaryMetrics em =
        ext == null
            ? null
            : BinaryMetrics.of(ext.y(), Scorer.scores(net, t.normalization(), ext), 0.5);
    double extAuc = em == null ? Double.NaN : em.roc().auc();
    double extLoss = em == null ? Double.NaN : em.logLoss();
    double secs = (System.nanoTime() - e0) / 1e9;
    return new EpochRecord(
        epoch,
        t.epochs(),
        trainLoss,
        vm.logLoss(),
        vm.roc().auc(),
        secs,
        data.split(Split.TRAIN).n() / secs,
        stopping.onExternal()
            ? stopping.isImprovement(extAuc, extLoss)
            : stopping.isImprovement(vm.roc().auc(), vm.logLoss()),
        CollapseGuard.spread(valScores),
        extLoss,
        extAuc);
  }

  /**
   * An ensemble member's epochs as seen by the outside listener: numbered on from the members
   * before it ({@code offset}), so each has its own step in the tracked run and history.
   */
  static TrainingListener numberedOn(TrainingListener listener, int offset, int epochs) {
    return new TrainingListener() {
      @Override
      public void onStart(String modelType, long parameters, int trainImages, int all) {
        if (offset == 0) {
          listener.onStart(modelType, parameters, trainImages, epochs);
        }
      }

      @Override
      public void onBatch(int epoch, int batch, int batches) {
        listener.onBatch(offset + epoch, batch, batches);
      }

      @Override
      public void onEpoch(EpochRecord r) {
        listener.onEpoch(r.renumbered(offset + r.epoch(), epochs));
      }
    };
  }
}
