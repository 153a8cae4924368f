package io.cxr.core.train;

import io.cxr.core.Reporter;
import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.config.ModelType;
import io.cxr.core.config.Normalization;
import io.cxr.core.data.Label;
import io.cxr.core.data.PreparedDataset;
import io.cxr.core.data.Split;
import io.cxr.core.eval.BinaryMetrics;
import io.cxr.core.eval.Calibration;
import io.cxr.core.eval.EpochRecord;
import io.cxr.core.eval.ThresholdSelector;
import io.cxr.core.model.ModelBundle;
import io.cxr.core.model.ModelCard;
import io.cxr.core.model.NetworkFactory;
import io.cxr.core.model.PixelCheck;
import io.cxr.core.model.Scorer;
import io.cxr.core.tracking.Provenance;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The training loop: seeded shuffling and augmentation, class-weighted loss, validation AUC after
 * every epoch, early stopping that restores the best epoch's weights, then the decision threshold
 * chosen on validation and final metrics on train, val and test.
 */
public final class Trainer {
  private Trainer() {}

  /** A trained model and everything measured about it. */
  public record Outcome(
      ModelBundle model,
      Map<String, Double> metrics,
      List<EpochRecord> history,
      Map<Split, BinaryMetrics> splits,
      double seconds,
      int[] testLabels,
      float[] testScores,
      List<ExternalScores> external) {
    /** The same outcome with another model bundle (e.g. one whose card gained provenance). */
    public Outcome withModel(ModelBundle m) {
      return new Outcome(m, metrics, history, splits, seconds, testLabels, testScores, external);
    }
  }

  /**
   * The final model's calibrated scores on one external set ({@code data.external}), with its
   * metrics at the model's threshold; {@code name} is "external" for the pooled sets.
   */
  public record ExternalScores(String name, int[] labels, float[] scores, BinaryMetrics metrics) {}

  /** The metric-key prefix of the pooled external sets. */
  public static final String EXTERNAL = "external";

  public static Outcome train(
      CxrConfig cfg, PreparedDataset data, TrainingListener listener, Reporter reporter) {
    return train(cfg, data, listener, reporter, true);
  }

  /**
   * Trains.
   *
   * @param scoreTest false for search trials, which must never look at the test split
   */
  public static Outcome train(
      CxrConfig cfg,
      PreparedDataset data,
      TrainingListener listener,
      Reporter reporter,
      boolean scoreTest) {
    return train(cfg, data, listener, reporter, scoreTest, Checkpoint.Plan.NONE);
  }

  /**
   * Trains, writing a checkpoint after every epoch into {@code plan.dir()} (when set), or
   * continuing from the checkpoint there ({@code plan.resume()}).
   */
  public static Outcome train(
      CxrConfig cfg,
      PreparedDataset data,
      TrainingListener listener,
      Reporter reporter,
      boolean scoreTest,
      Checkpoint.Plan plan) {
    long t0 = System.nanoTime();
    ModelType type = cfg.model().modelType();
    CxrConfig.Train t = cfg.train();
    checkExternal(cfg, data, reporter);
    PreparedDataset.Images train = data.split(Split.TRAIN);
    PreparedDataset.Images val = data.split(Split.VAL);
    int size = data.imageSize();
    int k = t.ensemble();
    List<MultiLayerNetwork> nets = new ArrayList<>();
    List<EpochRecord> history = new ArrayList<>();
    double before = 0;
    int bestEpoch = 0;
    for (int m = 0; m < k; m++) {
      if (k > 1) {
        reporter.info(
            String.format(
                Locale.ROOT, "ensemble member %d of %d (seed %d)", m + 1, k, cfg.seed() + m));
      }
      Member member =
          member(
              m == 0 ? cfg : cfg.withSeed(cfg.seed() + m),
              data,
              k == 1 ? listener : shifted(listener, history.size(), k * t.epochs()),
              reporter,
              Checkpoint.member(plan, m),
              t0);
      nets.add(member.net());
      history.addAll(member.history());
      before += member.secondsBefore();
      if (m == 0) {
        bestEpoch = member.bestEpoch();
      }
    }
    Normalization norm = t.normalizationMode();
    float[] rawVal = Scorer.scores(nets, norm, val);
    PreparedDataset.Images ext = data.externalPooled();
    float[] rawExt = ext == null ? null : Scorer.scores(nets, norm, ext);
    boolean calOnExt = onExternal(t.calibrationOn(), ext != null);
    Calibration.Fit cal =
        fitCalibration(t.calibration(), calOnExt ? ext.y() : val.y(), calOnExt ? rawExt : rawVal);
    float[] valScores = cal.apply(rawVal);
    float[] extScores = rawExt == null ? null : cal.apply(rawExt);
    boolean thrOnExt = onExternal(t.thresholdOn(), ext != null);
    double threshold =
        ThresholdSelector.choose(
            t.threshold(),
            t.fixedThreshold(),
            t.targetSensitivity(),
            thrOnExt ? ext.y() : val.y(),
            thrOnExt ? extScores : valScores);
    Map<Split, BinaryMetrics> splits = new LinkedHashMap<>();
    splits.put(
        Split.TRAIN,
        BinaryMetrics.of(train.y(), cal.apply(Scorer.scores(nets, norm, train)), threshold));
    splits.put(Split.VAL, BinaryMetrics.of(val.y(), valScores, threshold));
    CollapseGuard.checkFinal(cfg, splits.get(Split.VAL));
    PreparedDataset.Images test = data.split(Split.TEST);
    int[] testLabels = scoreTest ? test.y() : new int[0];
    float[] testScores = scoreTest ? cal.apply(Scorer.scores(nets, norm, test)) : new float[0];
    if (scoreTest) {
      splits.put(Split.TEST, BinaryMetrics.of(testLabels, testScores, threshold));
    }
    List<ExternalScores> external = external(data, ext, extScores, nets, norm, cal, threshold);
    double seconds = before + (System.nanoTime() - t0) / 1e9;
    Map<String, Double> metrics =
        metrics(splits, threshold, bestEpoch, history, seconds, size, nets);
    for (ExternalScores e : external) {
      metrics.putAll(e.metrics().flat(e.name()));
    }
    if (!external.isEmpty()) {
      double gap = splits.get(Split.VAL).roc().auc() - external.get(0).metrics().roc().auc();
      metrics.put("shift_auc_gap", gap);
      shiftWarning(splits.get(Split.VAL), external.get(0).metrics(), t).ifPresent(reporter::warn);
    }
    metrics.put("calibration_temperature", cal.temperature());
    metrics.put("calibration_bias", cal.bias());
    metrics.put("val_ece_uncalibrated", Calibration.ece(val.y(), rawVal));
    ModelCard card =
        new ModelCard(
            ModelCard.FORMAT,
            type.key(),
            size,
            threshold,
            t.normalization(),
            Label.NAMES,
            metrics,
            provenance(data, t, external),
            Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
            ConfigLoader.toYaml(cfg),
            cal == Calibration.Fit.NONE ? null : cal.temperature(),
            cal == Calibration.Fit.NONE ? null : cal.bias(),
            data.crop() > 0 ? data.crop() : null);
    return new Outcome(
        new ModelBundle(nets, card),
        metrics,
        history,
        splits,
        seconds,
        testLabels,
        testScores,
        external);
  }

  private static Calibration.Fit fitCalibration(String mode, int[] y, float[] raw) {
    return switch (mode) {
      case "temperature" -> new Calibration.Fit(Calibration.fitTemperature(y, raw), 0.0);
      case "platt" -> Calibration.fitPlatt(y, raw);
      default -> Calibration.Fit.NONE;
    };
  }

  /**
   * The final model on the external sets: the pooled sets first (key {@value #EXTERNAL}), then each
   * set by name when there are several.
   */
  private static List<ExternalScores> external(
      PreparedDataset data,
      PreparedDataset.Images pooled,
      float[] pooledScores,
      List<MultiLayerNetwork> nets,
      Normalization norm,
      Calibration.Fit cal,
      double threshold) {
    List<ExternalScores> out = new ArrayList<>();
    if (pooled == null) {
      return out;
    }
    out.add(
        new ExternalScores(
            EXTERNAL,
            pooled.y(),
            pooledScores,
            BinaryMetrics.of(pooled.y(), pooledScores, threshold)));
    if (data.externals().size() > 1) {
      int from = 0;
      for (PreparedDataset.External e : data.externals()) {
        int n = e.images().n();
        float[] sc = Arrays.copyOfRange(pooledScores, from, from + n);
        from += n;
        out.add(
            new ExternalScores(
                EXTERNAL + "_" + e.name(),
                e.images().y(),
                sc,
                BinaryMetrics.of(e.images().y(), sc, threshold)));
      }
    }
    return out;
  }

  /**
   * Whether a fit ({@code train.threshold_on}, {@code train.calibration_on}) uses the external
   * sets: {@code external} always, {@code auto} when there are some, {@code val} never.
   */
  static boolean onExternal(String where, boolean haveExternal) {
    return "external".equals(where) || ("auto".equals(where) && haveExternal);
  }

  /**
   * The shift warning, when validation AUC exceeds the external sets' by more than {@code
   * train.shift_margin}: validation promises more than other films show.
   */
  static java.util.Optional<String> shiftWarning(
      BinaryMetrics val, BinaryMetrics ext, CxrConfig.Train t) {
    if (!(val.roc().auc() - ext.roc().auc() > t.shiftMargin())) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(
        String.format(
            Locale.ROOT,
            "dataset shift: validation AUC %.3f but external AUC %.3f (gap %.3f > train.shift_margin"
                + " %.3f); external specificity %.3f, sensitivity %.3f at threshold %.3f: expect the"
                + " external figures, not validation's, on other hospitals' films",
            val.roc().auc(),
            ext.roc().auc(),
            val.roc().auc() - ext.roc().auc(),
            t.shiftMargin(),
            ext.confusion().specificity(),
            ext.confusion().sensitivity(),
            ext.threshold()));
  }

  /** One trained network: its best epoch's weights, its epochs, time spent before a resume. */
  private record Member(
      MultiLayerNetwork net, int bestEpoch, List<EpochRecord> history, double secondsBefore) {}

  /**
   * Trains one network with {@code cfg}'s seed: from scratch or from the checkpoint in {@code
   * plan}, with early stopping; returns the best epoch's weights.
   */
  private static Member member(
      CxrConfig cfg,
      PreparedDataset data,
      TrainingListener listener,
      Reporter reporter,
      Checkpoint.Plan plan,
      long t0) {
    ModelType type = cfg.model().modelType();
    CxrConfig.Train t = cfg.train();
    PreparedDataset.Images train = data.split(Split.TRAIN);
    PreparedDataset.Images val = data.split(Split.VAL);
    int size = data.imageSize();
    double[] weights = classWeights(t.classWeights(), train.y());
    Checkpoint.Loaded resumed =
        plan.resume() ? Checkpoint.load(plan.dir(), cfg, data.manifestSha256()) : null;
    MultiLayerNetwork net =
        resumed != null ? resumed.network() : NetworkFactory.build(type.key(), cfg, size, weights);
    listener.onStart(type.key(), net.numParams(), train.n(), t.epochs());
    reporter.info(
        String.format(
            Locale.ROOT,
            "model %s: %,d parameters; %d train / %d val images of %dx%d; class weights %.3f/%.3f",
            type.key(),
            net.numParams(),
            train.n(),
            val.n(),
            size,
            size,
            weights[0],
            weights[1]));
    DivergenceRisk.warnings(cfg, size).forEach(reporter::warn);

    EarlyStopping stopping =
        new EarlyStopping(
            t.earlyStopping().patience(),
            t.earlyStopping().minDelta(),
            t.earlyStopping().onLogLoss(),
            t.earlyStopping().onExternal(),
            () -> net.params().dup());
    List<EpochRecord> history = new ArrayList<>();
    double before = 0;
    if (resumed != null) {
      Checkpoint.State st = resumed.state();
      stopping.restore(st.bestScore(), st.bestEpoch(), st.stale(), resumed.bestWeights());
      history.addAll(st.history());
      before = st.seconds();
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
    }
    fit(
        cfg,
        net,
        data,
        TrainingListener.all(stopping, listener, new CollapseGuard(cfg)),
        stopping,
        history,
        plan,
        data.manifestSha256(),
        before,
        t0);
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
    int bestEpoch = stopping.bestEpoch();
    if (stopping.bestWeights() != null) {
      net.setParams(stopping.bestWeights());
    } else {
      // the validation figure never finite (a diverged run): keep the last weights, say so
      reporter.warn(
          figure + " was never finite (training diverged?): keeping the last epoch's weights");
      bestEpoch = history.size();
    }
    return new Member(net, bestEpoch, history, before);
  }

  /**
   * An ensemble member's epochs as seen by the outside listener: numbered on from the members
   * before it ({@code offset}), so each has its own step in the tracked run and history.
   */
  private static TrainingListener shifted(TrainingListener listener, int offset, int epochs) {
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
        listener.onEpoch(
            new EpochRecord(
                offset + r.epoch(),
                epochs,
                r.trainLoss(),
                r.valLoss(),
                r.valAuc(),
                r.seconds(),
                r.imagesPerSecond(),
                r.improved(),
                r.valScoreSpread(),
                r.externalLoss(),
                r.externalAuc()));
      }
    };
  }

  /**
   * The external sets a training uses are the prepared ones: a choice made on them needs some, and
   * a config listing other sets than were prepared is told to prepare again.
   */
  static void checkExternal(CxrConfig cfg, PreparedDataset data, Reporter reporter) {
    CxrConfig.Train t = cfg.train();
    List<String> prepared = data.externals().stream().map(PreparedDataset.External::path).toList();
    if (data.externals().isEmpty()) {
      String[][] choices = {
        {"train.early_stopping.on", t.earlyStopping().on()},
        {"train.threshold_on", t.thresholdOn()},
        {"train.calibration_on", t.calibrationOn()}
      };
      for (String[] kv : choices) {
        if ("external".equals(kv[1])) {
          throw new io.cxr.core.CxrException(
              kv[0]
                  + "=external: the prepared data in "
                  + data.dir()
                  + " has no external set (list them in data.external, then run cxr prepare)");
        }
      }
    }
    if (!prepared.equals(cfg.data().external())) {
      reporter.warn(
          "data.external lists "
              + cfg.data().external()
              + " but the prepared data in "
              + data.dir()
              + " holds "
              + prepared
              + ": training scores the prepared ones (run cxr prepare to change them)");
    }
  }

  /** The one-batch overfit check's outcome. */
  public record CheckResult(
      int images, int iterations, double firstLoss, double lastLoss, boolean passed) {}

  /** Iterations of the one-batch check. */
  static final int CHECK_ITERATIONS = 60;

  /**
   * The sanity check before a long run ({@code cxr train --check}): the configured network fits one
   * training batch (no augmentation) for {@value #CHECK_ITERATIONS} iterations; a network, a
   * learning rate and an input scale that can learn at all drive that loss to below half of where
   * it started within seconds. A non-finite loss or a loss that does not fall fails.
   */
  public static CheckResult check(CxrConfig cfg, PreparedDataset data, Reporter reporter) {
    PreparedDataset.Images train = data.split(Split.TRAIN);
    int size = data.imageSize();
    CxrConfig.Train t = cfg.train();
    MultiLayerNetwork net =
        NetworkFactory.build(
            cfg.model().type(), cfg, size, classWeights(t.classWeights(), train.y()));
    DivergenceRisk.warnings(cfg, size).forEach(reporter::warn);
    int n = Math.min(t.batchSize(), train.n());
    int[] order = new int[train.n()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    shuffle(order, new Random(cfg.seed()));
    DataSet batch =
        Batches.training(
            train.source(), train.y(), order, 0, n, size, t.normalizationMode(), null, null);
    double first = Double.NaN;
    double last = Double.NaN;
    try (Reporter.Progress bar = reporter.progress("one-batch check", CHECK_ITERATIONS)) {
      for (int it = 0; it < CHECK_ITERATIONS; it++) {
        net.fit(batch);
        last = net.score();
        if (it == 0) {
          first = last;
        }
        bar.step();
        if (!Double.isFinite(last)) {
          break;
        }
      }
    }
    boolean passed = Double.isFinite(last) && last < 0.5 * first;
    return new CheckResult(n, CHECK_ITERATIONS, first, last, passed);
  }

  /** The epochs: seeded shuffle and augmentation, one fit per batch, validation AUC after each. */
  private static void fit(
      CxrConfig cfg,
      MultiLayerNetwork net,
      PreparedDataset data,
      TrainingListener listener,
      EarlyStopping stopping,
      List<EpochRecord> history,
      Checkpoint.Plan plan,
      String manifest,
      double secondsBefore,
      long t0) {
    CxrConfig.Train t = cfg.train();
    PreparedDataset.Images train = data.split(Split.TRAIN);
    PreparedDataset.Images val = data.split(Split.VAL);
    PreparedDataset.Images ext = data.externalPooled();
    int size = train.size();
    Augmenter augmenter =
        cfg.model().modelType() == ModelType.CNN && t.augment().enabled()
            ? new Augmenter(t.augment())
            : null;
    int[] order = new int[train.n()];
    int batches = (train.n() + t.batchSize() - 1) / t.batchSize();
    if (stopping.shouldStop()) {
      return; // resumed from the checkpoint of the epoch that stopped it
    }
    for (int epoch = history.size() + 1; epoch <= t.epochs(); epoch++) {
      long e0 = System.nanoTime();
      // every draw of an epoch (shuffle, augmentation, dropout) comes from generators seeded by
      // (seed, epoch): a run resumed from a checkpoint continues exactly as it would have
      long epochSeed = cfg.seed() * 1_000_003L + epoch;
      Random rnd = new Random(epochSeed);
      Nd4j.getRandom().setSeed(epochSeed);
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      shuffle(order, rnd);
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
                size,
                t.normalizationMode(),
                augmenter,
                rnd);
        Batches.soften(ds, t.mixup(), t.labelSmoothing(), rnd);
        net.fit(ds);
        lossSum += net.score() * n;
        Scorer.release(ds.getFeatures());
        Scorer.release(ds.getLabels());
        listener.onBatch(epoch, b + 1, batches);
      }
      if ("cosine".equals(t.schedule())) {
        net.incrementEpochCount(); // the cosine schedule reads the network's epoch count
      }
      float[] valScores = Scorer.scores(net, t.normalizationMode(), val);
      BinaryMetrics vm = BinaryMetrics.of(val.y(), valScores, 0.5);
      double auc = vm.roc().auc();
      BinaryMetrics em =
          ext == null
              ? null
              : BinaryMetrics.of(ext.y(), Scorer.scores(net, t.normalizationMode(), ext), 0.5);
      double extAuc = em == null ? Double.NaN : em.roc().auc();
      double extLoss = em == null ? Double.NaN : em.logLoss();
      double secs = (System.nanoTime() - e0) / 1e9;
      EpochRecord rec =
          new EpochRecord(
              epoch,
              t.epochs(),
              lossSum / train.n(),
              vm.logLoss(),
              auc,
              secs,
              train.n() / secs,
              stopping.onExternal()
                  ? stopping.isImprovement(extAuc, extLoss)
                  : stopping.isImprovement(auc, vm.logLoss()),
              CollapseGuard.spread(valScores),
              extLoss,
              extAuc);
      history.add(rec);
      listener.onEpoch(rec);
      if (plan.dir() != null) {
        Checkpoint.write(
            plan.dir(),
            net,
            stopping,
            history,
            secondsBefore + (System.nanoTime() - t0) / 1e9,
            cfg,
            manifest,
            plan.extra());
      }
      if (stopping.shouldStop()) {
        break;
      }
    }
  }

  private static Map<String, Double> metrics(
      Map<Split, BinaryMetrics> splits,
      double threshold,
      int bestEpoch,
      List<EpochRecord> history,
      double seconds,
      int size,
      List<MultiLayerNetwork> nets) {
    Map<String, Double> metrics = new LinkedHashMap<>();
    for (var e : splits.entrySet()) {
      metrics.putAll(e.getValue().flat(e.getKey().key()));
    }
    metrics.put("threshold", threshold);
    metrics.put("best_epoch", (double) bestEpoch);
    metrics.put("epochs_run", (double) history.size());
    metrics.put("train_seconds", seconds);
    metrics.put(
        "train_images_per_second",
        history.stream().mapToDouble(EpochRecord::imagesPerSecond).average().orElse(0));
    metrics.put("image_size", (double) size);
    metrics.put("parameters", (double) nets.get(0).numParams() * nets.size());
    if (nets.size() > 1) {
      metrics.put("ensemble_members", (double) nets.size());
    }
    return metrics;
  }

  /** Where the model came from, and how its training pixels were made. */
  private static Map<String, String> provenance(
      PreparedDataset data, CxrConfig.Train t, List<ExternalScores> external) {
    Map<String, String> p = new LinkedHashMap<>(Provenance.collect(data.manifestSha256()));
    if (!external.isEmpty()) {
      p.put(
          "external_sets",
          String.join(",", data.externals().stream().map(PreparedDataset.External::name).toList()));
      List<String> fitted = new ArrayList<>();
      if (t.earlyStopping().onExternal()) {
        fitted.add("early_stopping");
      }
      if (onExternal(t.thresholdOn(), true)) {
        fitted.add("threshold");
      }
      if (onExternal(t.calibrationOn(), true)) {
        fitted.add("calibration");
      }
      // the external figures are optimistic for what was chosen on them: say so on the card
      p.put("external_chosen_on", fitted.isEmpty() ? "nothing" : String.join(",", fitted));
    }
    if (data.decoder() != null) {
      p.put(PixelCheck.KEY, data.decoder());
    }
    p.put("pixels_normalization", t.normalization());
    p.putAll(data.source());
    return p;
  }

  /** balanced: n / (2 n_c), so each class carries half the loss; none: 1, 1. */
  static double[] classWeights(String mode, int[] labels) {
    if (!"balanced".equals(mode)) {
      return new double[] {1, 1};
    }
    long pos = Arrays.stream(labels).filter(l -> l == 1).count();
    long neg = labels.length - pos;
    return new double[] {
      labels.length / (2.0 * Math.max(neg, 1)), labels.length / (2.0 * Math.max(pos, 1))
    };
  }

  static void shuffle(int[] a, Random rnd) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
  }
}
