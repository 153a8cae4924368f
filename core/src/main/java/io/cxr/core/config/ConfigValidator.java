package io.cxr.core.config;

import io.cxr.core.CxrException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks a bound config once, section by section, so later code may trust every value. The first
 * bad key is reported as {@code config key '<key>': expected <what>, got '<value>'}; sections and
 * keys are checked in a fixed order, so the same bad config always names the same key.
 */
final class ConfigValidator {
  /**
   * Smallest image side: the CNN's three 2x2 poolings leave a 2x2 map of a 16 px image; below that
   * there is nothing left to classify (a 1 px "image" used to be accepted without a word).
   */
  static final int MIN_SIZE = 16;

  private ConfigValidator() {}

  static void check(CxrConfig c) {
    // a folder name under paths.artifacts: "." or ".." would put its files elsewhere
    need(
        c.experiment().name() != null
            && c.experiment().name().matches("[A-Za-z0-9._-]+")
            && !c.experiment().name().matches("\\.+"),
        "experiment.name",
        "letters, digits, '.', '_' or '-' (not only dots)",
        c.experiment().name());
    data(c.data());
    model(c.model());
    train(c.train());
    gate(c.gate());
    hpo(c.hpo());
    externalChoices(c);
    registry(c.registry());
    need(
        c.tracking().localDir() != null && !c.tracking().localDir().isBlank(),
        "tracking.local_dir",
        "a folder",
        c.tracking().localDir());
    download(c.download());
  }

  private static void data(CxrConfig.Data d) {
    if (!"auto".equals(d.imageSize())) {
      int size;
      try {
        size = Integer.parseInt(d.imageSize());
      } catch (NumberFormatException e) {
        throw bad("data.image_size", "a positive integer or 'auto'", d.imageSize());
      }
      need(
          size >= MIN_SIZE && size <= 1024,
          "data.image_size",
          "an integer in " + MIN_SIZE + "..1024 or 'auto'",
          size);
    }
    need(
        d.folderImageSize() >= MIN_SIZE && d.folderImageSize() <= 1024,
        "data.folder_image_size",
        "an integer in " + MIN_SIZE + "..1024",
        d.folderImageSize());
    need(
        d.crop() >= 0 && d.crop() <= CxrConfig.Data.MAX_CROP,
        "data.crop",
        "a fraction in [0, " + CxrConfig.Data.MAX_CROP + "]",
        d.crop());
    fraction("data.val_fraction", d.valFraction());
    fraction("data.test_fraction", d.testFraction());
    need(d.minSplitImages() >= 0, "data.min_split_images", "a count >= 0", d.minSplitImages());
    need(d.maxPerClass() >= 0, "data.max_per_class", "a count >= 0 (0 = all)", d.maxPerClass());
    need(d.workers() >= 0, "data.workers", "a count >= 0 (0 = all cores)", d.workers());
    need(
        d.validation().minClassFraction() >= 0 && d.validation().minClassFraction() < 0.5,
        "data.validation.min_class_fraction",
        "a fraction in [0, 0.5)",
        d.validation().minClassFraction());
    for (String e : d.external()) {
      need(
          e != null && !e.isBlank(),
          "data.external",
          "a list of non-empty paths of folders or .npz files",
          d.external());
    }
    need(
        d.external().stream().distinct().count() == d.external().size(),
        "data.external",
        "each set once",
        d.external());
  }

  private static void model(CxrConfig.Model m) {
    positiveList("model.cnn.filters", m.cnn().filters());
    need(
        m.cnn().denseUnits() > 0,
        "model.cnn.dense_units",
        "a positive integer",
        m.cnn().denseUnits());
    dropout("model.cnn.dropout", m.cnn().dropout());
    positiveList("model.dense.hidden", m.dense().hidden());
    dropout("model.dense.dropout", m.dense().dropout());
  }

  private static void train(CxrConfig.Train t) {
    need(t.epochs() > 0, "train.epochs", "a positive integer", t.epochs());
    need(t.batchSize() > 0, "train.batch_size", "a positive integer", t.batchSize());
    need(
        t.learningRate() > 0 && t.learningRate() < 10,
        "train.learning_rate",
        "a number in (0, 10)",
        t.learningRate());
    need(t.l2() >= 0, "train.l2", "a number >= 0", t.l2());
    need(
        t.targetSensitivity() > 0 && t.targetSensitivity() <= 1,
        "train.target_sensitivity",
        "a number in (0, 1]",
        t.targetSensitivity());
    need(
        t.fixedThreshold() > 0 && t.fixedThreshold() < 1,
        "train.fixed_threshold",
        "a probability in (0, 1)",
        t.fixedThreshold());
    need(
        t.labelSmoothing() >= 0 && t.labelSmoothing() < 0.5,
        "train.label_smoothing",
        "a number in [0, 0.5)",
        t.labelSmoothing());
    need(t.mixup() >= 0 && t.mixup() <= 10, "train.mixup", "a number in [0, 10]", t.mixup());
    need(
        t.ensemble() >= 1 && t.ensemble() <= 10,
        "train.ensemble",
        "an integer in [1, 10]",
        t.ensemble());
    need(
        t.shiftMargin() >= 0 && t.shiftMargin() <= 1,
        "train.shift_margin",
        "an AUC difference in [0, 1]",
        t.shiftMargin());
    earlyStopping(t.earlyStopping());
    augment(t.augment());
  }

  private static void earlyStopping(CxrConfig.EarlyStopping es) {
    need(es.patience() > 0, "train.early_stopping.patience", "a positive integer", es.patience());
    need(es.minDelta() >= 0, "train.early_stopping.min_delta", "a number >= 0", es.minDelta());
  }

  private static void augment(CxrConfig.Augment a) {
    need(
        a.maxShift() >= 0 && a.maxShift() < 0.5,
        "train.augment.max_shift",
        "a fraction in [0, 0.5)",
        a.maxShift());
    need(
        a.maxRotation() >= 0 && a.maxRotation() <= 45,
        "train.augment.max_rotation",
        "degrees in [0, 45]",
        a.maxRotation());
    need(
        a.maxZoom() >= 0 && a.maxZoom() < 0.5,
        "train.augment.max_zoom",
        "a fraction in [0, 0.5)",
        a.maxZoom());
    need(
        a.maxAspect() >= 0 && a.maxAspect() <= 1,
        "train.augment.max_aspect",
        "a fraction in [0, 1]",
        a.maxAspect());
    need(a.gamma() >= 0 && a.gamma() < 1, "train.augment.gamma", "a number in [0, 1)", a.gamma());
    need(
        a.contrast() >= 0 && a.contrast() < 1,
        "train.augment.contrast",
        "a number in [0, 1)",
        a.contrast());
    need(
        a.noise() >= 0 && a.noise() <= 0.5,
        "train.augment.noise",
        "a number in [0, 0.5]",
        a.noise());
    need(
        a.sharpness() >= 0 && a.sharpness() <= 2,
        "train.augment.sharpness",
        "a number in [0, 2]",
        a.sharpness());
    need(
        a.downscale() >= 0 && a.downscale() <= 0.75,
        "train.augment.downscale",
        "a fraction in [0, 0.75]",
        a.downscale());
  }

  private static void gate(CxrConfig.Gate g) {
    for (var e : // in this order, so the first bad key reported is always the same
        List.of(
            Map.entry("gate.min_test_f1", g.minTestF1()),
            Map.entry("gate.min_test_accuracy", g.minTestAccuracy()),
            Map.entry("gate.max_train_test_f1_gap", g.maxTrainTestF1Gap()),
            Map.entry("gate.min_test_auc", g.minTestAuc()),
            Map.entry("gate.min_test_specificity", g.minTestSpecificity()))) {
      need(e.getValue() >= 0 && e.getValue() <= 1, e.getKey(), "a number in [0, 1]", e.getValue());
    }
  }

  private static void hpo(CxrConfig.Hpo h) {
    need(h.trials() > 0, "hpo.trials", "a positive number of trials", h.trials());
    need(h.maxMinutes() >= 0, "hpo.max_minutes", "minutes >= 0 (0 = no limit)", h.maxMinutes());
    need(h.parallel() > 0, "hpo.parallel", "a positive number of trials at once", h.parallel());
    need(h.gridPoints() > 1, "hpo.grid_points", "an integer >= 2", h.gridPoints());
    need(
        h.pruning().warmupEpochs() >= 1,
        "hpo.pruning.warmup_epochs",
        "an integer >= 1",
        h.pruning().warmupEpochs());
    need(
        h.pruning().minTrials() >= 1,
        "hpo.pruning.min_trials",
        "an integer >= 1",
        h.pruning().minTrials());
  }

  private static void registry(CxrConfig.Registry r) {
    need(
        r.name() != null && r.name().matches("[A-Za-z0-9][A-Za-z0-9._-]{0,254}"),
        "registry.name",
        "a name of letters, digits, '.', '_' or '-'",
        r.name());
    need(
        r.alias() != null && r.alias().matches("[A-Za-z][A-Za-z0-9_-]{0,254}"),
        "registry.alias",
        "an alias of letters, digits, '_' or '-'",
        r.alias());
    need(
        r.metric() != null && r.metric().matches("[a-z0-9_]+"),
        "registry.metric",
        "a metrics.json key such as test_f1",
        r.metric());
  }

  private static void download(CxrConfig.Download d) {
    need(
        List.of(28, 64, 128, 224).contains(d.medmnistSize()),
        "download.medmnist_size",
        "one of 28, 64, 128, 224",
        d.medmnistSize());
    need(
        d.timeoutSeconds() > 0,
        "download.timeout_seconds",
        "a positive integer",
        d.timeoutSeconds());
    need(d.retries() >= 0, "download.retries", "a count >= 0", d.retries());
  }

  /** A choice made on the external sets needs at least one ({@code data.external}). */
  private static void externalChoices(CxrConfig c) {
    if (!c.data().external().isEmpty()) {
      return;
    }
    Map<String, Object> choices = new LinkedHashMap<>();
    choices.put("train.early_stopping.on", c.train().earlyStopping().on().key());
    choices.put("train.threshold_on", c.train().thresholdOn().key());
    choices.put("train.calibration_on", c.train().calibrationOn().key());
    for (var kv : choices.entrySet()) {
      need(
          !"external".equals(kv.getValue()),
          kv.getKey(),
          "'val' or 'auto' while data.external lists no set (choosing on external data needs one)",
          kv.getValue());
    }
    need(
        c.hpo().objective() == Objective.VAL,
        "hpo.objective",
        "'val' while data.external lists no set (an external objective needs one)",
        c.hpo().objective().key());
  }

  private static void fraction(String key, double f) {
    need(f > 0 && f < 0.5, key, "a fraction in (0, 0.5)", f);
  }

  private static void positiveList(String key, List<Integer> values) {
    need(
        values != null && !values.isEmpty() && values.stream().allMatch(f -> f != null && f > 0),
        key,
        "a non-empty list of positive integers",
        values);
  }

  private static void dropout(String key, double p) {
    need(p >= 0 && p < 1, key, "a drop probability in [0, 1)", p);
  }

  private static void need(boolean ok, String key, String expected, Object value) {
    if (!ok) {
      throw bad(key, expected, value);
    }
  }

  private static CxrException bad(String key, String expected, Object value) {
    return new CxrException(
        "config key '" + key + "': expected " + expected + ", got '" + value + "'");
  }
}
