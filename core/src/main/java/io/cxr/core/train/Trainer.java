package io.cxr.core.train;

import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.config.ClassWeights;
import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.config.Normalization;
import io.cxr.core.data.Label;
import io.cxr.core.data.PreparedDataset;
import io.cxr.core.data.Split;
import io.cxr.core.eval.BinaryMetrics;
import io.cxr.core.eval.Calibration;
import io.cxr.core.eval.EpochRecord;
import io.cxr.core.eval.OperatingPoint;
import io.cxr.core.model.ModelBundle;
import io.cxr.core.model.ModelCard;
import io.cxr.core.model.NetworkFactory;
import io.cxr.core.model.PixelCheck;
import io.cxr.core.model.Scorer;
import io.cxr.core.tracking.Provenance;
import io.cxr.core.train.TrainingResult.ExternalScores;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Trains the configured model on prepared data and returns a typed {@link TrainingResult}. The
 * trainer fits each network ({@code train.ensemble} of them, seeds {@code seed}, {@code seed + 1},
 * ...) with early stopping, then fits the operating point (calibration and threshold, {@link
 * OperatingPoint}) and measures every split. Everything around the loop is a {@link
 * TrainingListener}: progress, tracking, pruning, the collapse guard, early stopping, checkpoints.
 *
 * <pre>{@code
 * TrainingResult r = new Trainer(cfg, reporter, progress, tracking).fit(data);
 * }</pre>
 */
public final class Trainer {
  private final CxrConfig cfg;
  private final Reporter reporter;
  private final TrainingListener listener;
  private final Checkpoint.Plan plan;
  private final boolean scoreTest;

  /** A trainer that scores the test split and writes no checkpoints. */
  public Trainer(CxrConfig cfg, Reporter reporter, TrainingListener... listeners) {
    this(cfg, reporter, TrainingListener.all(listeners), Checkpoint.Plan.NONE, true);
  }

  private Trainer(
      CxrConfig cfg,
      Reporter reporter,
      TrainingListener listener,
      Checkpoint.Plan plan,
      boolean scoreTest) {
    this.cfg = cfg;
    this.reporter = reporter;
    this.listener = listener;
    this.plan = plan;
    this.scoreTest = scoreTest;
  }

  /**
   * This trainer writing a checkpoint after every epoch into {@code plan.dir()}, or continuing from
   * the checkpoint there ({@code plan.resume()}).
   */
  public Trainer checkpointing(Checkpoint.Plan p) {
    return new Trainer(cfg, reporter, listener, p, scoreTest);
  }

  /** This trainer never looking at the test split: a search trial's. */
  public Trainer withoutTest() {
    return new Trainer(cfg, reporter, listener, plan, false);
  }

  /** Trains every ensemble member, fits the operating point and measures the result. */
  public TrainingResult fit(PreparedDataset data) {
    long t0 = System.nanoTime();
    checkExternal(cfg, data, reporter);
    int k = cfg.train().ensemble();
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
      TrainingListener outer =
          k == 1 ? listener : MemberTraining.numberedOn(listener, history.size(), k * epochs());
      MemberTraining.Member member =
          new MemberTraining(
                  m == 0 ? cfg : cfg.withSeed(cfg.seed() + m),
                  data,
                  outer,
                  reporter,
                  Checkpoint.member(plan, m),
                  t0)
              .run();
      nets.add(member.net());
      history.addAll(member.history());
      before += member.secondsBefore();
      bestEpoch = m == 0 ? member.bestEpoch() : bestEpoch;
    }
    return measure(data, nets, history, bestEpoch, before + (System.nanoTime() - t0) / 1e9);
  }

  private int epochs() {
    return cfg.train().epochs();
  }

  /** The operating point fitted on the trained networks, every split scored, the model carded. */
  private TrainingResult measure(
      PreparedDataset data,
      List<MultiLayerNetwork> nets,
      List<EpochRecord> history,
      int bestEpoch,
      double seconds) {
    Normalization norm = cfg.train().normalization();
    PreparedDataset.Images val = data.split(Split.VAL);
    PreparedDataset.Images ext = data.externalPooled();
    float[] rawVal = Scorer.scores(nets, norm, val);
    float[] rawExt = ext == null ? null : Scorer.scores(nets, norm, ext);
    OperatingPoint op =
        OperatingPoint.fit(
            cfg.train(),
            new OperatingPoint.Scored(val.y(), rawVal),
            ext == null ? null : new OperatingPoint.Scored(ext.y(), rawExt));
    Map<Split, BinaryMetrics> splits = new LinkedHashMap<>();
    PreparedDataset.Images train = data.split(Split.TRAIN);
    splits.put(
        Split.TRAIN,
        BinaryMetrics.of(train.y(), op.apply(Scorer.scores(nets, norm, train)), op.threshold()));
    splits.put(Split.VAL, BinaryMetrics.of(val.y(), op.apply(rawVal), op.threshold()));
    CollapseGuard.checkFinal(cfg, splits.get(Split.VAL));
    TrainingResult.Scores test = new TrainingResult.Scores(new int[0], new float[0]);
    if (scoreTest) {
      PreparedDataset.Images t = data.split(Split.TEST);
      test = new TrainingResult.Scores(t.y(), op.apply(Scorer.scores(nets, norm, t)));
      splits.put(Split.TEST, BinaryMetrics.of(test.labels(), test.scores(), op.threshold()));
    }
    List<ExternalScores> external =
        external(data, ext, rawExt == null ? null : op.apply(rawExt), op.threshold());
    TrainingResult r =
        new TrainingResult(
            null,
            List.copyOf(history),
            splits,
            external,
            op,
            bestEpoch,
            seconds,
            data.imageSize(),
            nets.get(0).numParams() * nets.size(),
            nets.size(),
            Calibration.ece(val.y(), rawVal),
            test);
    r.pooledExternal()
        .flatMap(e -> shiftWarning(splits.get(Split.VAL), e.metrics(), cfg.train()))
        .ifPresent(reporter::warn);
    return r.withModel(new ModelBundle(nets, card(data, r)));
  }

  private ModelCard card(PreparedDataset data, TrainingResult r) {
    CxrConfig.Train t = cfg.train();
    OperatingPoint op = r.operatingPoint();
    return new ModelCard(
        ModelCard.FORMAT,
        cfg.model().type(),
        data.imageSize(),
        op.threshold(),
        t.normalization(),
        Label.NAMES,
        r.flatMetrics(),
        provenance(data, t, r.external()),
        Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
        ConfigLoader.toYaml(cfg),
        op.calibrated() ? op.calibration().temperature() : null,
        op.calibrated() ? op.calibration().bias() : null,
        data.crop() > 0 ? data.crop() : null);
  }

  /**
   * The final model on the external sets: the pooled sets first (key {@value
   * TrainingResult#EXTERNAL}), then each set by name when there are several.
   */
  private static List<ExternalScores> external(
      PreparedDataset data, PreparedDataset.Images pooled, float[] scores, double threshold) {
    List<ExternalScores> out = new ArrayList<>();
    if (pooled == null) {
      return out;
    }
    out.add(
        new ExternalScores(
            TrainingResult.EXTERNAL,
            pooled.y(),
            scores,
            BinaryMetrics.of(pooled.y(), scores, threshold)));
    if (data.externals().size() > 1) {
      int from = 0;
      for (PreparedDataset.External e : data.externals()) {
        int n = e.images().n();
        float[] sc = Arrays.copyOfRange(scores, from, from + n);
        from += n;
        out.add(
            new ExternalScores(
                TrainingResult.EXTERNAL + "_" + e.name(),
                e.images().y(),
                sc,
                BinaryMetrics.of(e.images().y(), sc, threshold)));
      }
    }
    return out;
  }

  /**
   * The shift warning, when validation AUC exceeds the external sets' by more than {@code
   * train.shift_margin}: validation promises more than other films show.
   */
  static Optional<String> shiftWarning(BinaryMetrics val, BinaryMetrics ext, CxrConfig.Train t) {
    if (!(val.roc().auc() - ext.roc().auc() > t.shiftMargin())) {
      return Optional.empty();
    }
    return Optional.of(
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

  /**
   * The external sets a training uses are the prepared ones: a choice made on them needs some, and
   * a config listing other sets than were prepared is told to prepare again.
   */
  static void checkExternal(CxrConfig cfg, PreparedDataset data, Reporter reporter) {
    CxrConfig.Train t = cfg.train();
    List<String> prepared = data.externals().stream().map(PreparedDataset.External::path).toList();
    if (data.externals().isEmpty()) {
      String[][] choices = {
        {"train.early_stopping.on", t.earlyStopping().on().key()},
        {"train.threshold_on", t.thresholdOn().key()},
        {"train.calibration_on", t.calibrationOn().key()}
      };
      for (String[] kv : choices) {
        if ("external".equals(kv[1])) {
          throw new CxrException(
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
      if (OperatingPoint.onExternal(t.thresholdOn(), true)) {
        fitted.add("threshold");
      }
      if (OperatingPoint.onExternal(t.calibrationOn(), true)) {
        fitted.add("calibration");
      }
      // the external figures are optimistic for what was chosen on them: say so on the card
      p.put("external_chosen_on", fitted.isEmpty() ? "nothing" : String.join(",", fitted));
    }
    if (data.decoder() != null) {
      p.put(PixelCheck.KEY, data.decoder());
    }
    p.put("pixels_normalization", t.normalization().key());
    p.putAll(data.source());
    return p;
  }

  /** The one-batch overfit check's outcome. */
  public record CheckResult(
      int images, int iterations, double firstLoss, double lastLoss, boolean passed) {
    /** One line: what was fitted, the loss before and after, and the verdict. */
    public String summary(String modelType) {
      return String.format(
          Locale.ROOT,
          "one-batch check (%s, %d images, %d iterations): loss %.4f -> %.4f: %s",
          modelType,
          images,
          iterations,
          firstLoss,
          lastLoss,
          passed
              ? "passed"
              : "FAILED (the network cannot fit one batch: check train.learning_rate, "
                  + "train.normalization and the image size)");
    }
  }

  /** Iterations of the one-batch check. */
  static final int CHECK_ITERATIONS = 60;

  /**
   * The sanity check before a long run ({@code cxr train --check}): the configured network fits one
   * training batch (no augmentation) for {@value #CHECK_ITERATIONS} iterations; a network, a
   * learning rate and an input scale that can learn at all drive that loss to below half of where
   * it started within seconds. A non-finite loss or a loss that does not fall fails.
   */
  public CheckResult check(PreparedDataset data) {
    PreparedDataset.Images train = data.split(Split.TRAIN);
    int size = data.imageSize();
    CxrConfig.Train t = cfg.train();
    MultiLayerNetwork net =
        NetworkFactory.build(
            cfg.model().type(), cfg, size, classWeights(t.classWeights(), train.y()));
    DivergenceRisk.warnings(cfg, size).forEach(reporter::warn);
    int n = Math.min(t.batchSize(), train.n());
    int[] order = identity(train.n());
    shuffle(order, new Random(cfg.seed()));
    DataSet batch =
        Batches.training(
            train.source(), train.y(), order, 0, n, size, t.normalization(), null, null);
    double first = Double.NaN;
    double last = Double.NaN;
    try (Reporter.Progress bar = reporter.progress("one-batch check", CHECK_ITERATIONS)) {
      for (int it = 0; it < CHECK_ITERATIONS && (it == 0 || Double.isFinite(last)); it++) {
        net.fit(batch);
        last = net.score();
        first = it == 0 ? last : first;
        bar.step();
      }
    }
    boolean passed = Double.isFinite(last) && last < 0.5 * first;
    return new CheckResult(n, CHECK_ITERATIONS, first, last, passed);
  }

  /** balanced: n / (2 n_c), so each class carries half the loss; none: 1, 1. */
  static double[] classWeights(ClassWeights mode, int[] labels) {
    if (mode != ClassWeights.BALANCED) {
      return new double[] {1, 1};
    }
    long pos = Arrays.stream(labels).filter(l -> l == 1).count();
    long neg = labels.length - pos;
    return new double[] {
      labels.length / (2.0 * Math.max(neg, 1)), labels.length / (2.0 * Math.max(pos, 1))
    };
  }

  static int[] identity(int n) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    return a;
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
