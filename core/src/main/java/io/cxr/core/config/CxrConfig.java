package io.cxr.core.config;

import io.cxr.core.CxrException;
import java.util.List;

/** The fully resolved configuration of a cxr command: conf/config.yaml plus overrides. */
public record CxrConfig(
    long seed,
    Experiment experiment,
    Paths paths,
    Data data,
    Model model,
    Train train,
    Gate gate,
    Hpo hpo,
    Tracking tracking,
    Registry registry,
    Download download) {

  /** Names the experiment; artifacts are filed under it. */
  public record Experiment(String name) {}

  /** Where stages read and write. */
  public record Paths(String prepared, String models, String artifacts, String reports) {}

  /** Data source, image size, splitting and validation. */
  public record Data(
      String source,
      String imageSize,
      int folderImageSize,
      double valFraction,
      double testFraction,
      int minSplitImages,
      int maxPerClass,
      int workers,
      Validation validation) {

    /** Explicit image size, or -1 for `auto`. */
    public int explicitImageSize() {
      return "auto".equals(imageSize) ? -1 : Integer.parseInt(imageSize);
    }
  }

  /** Checks run on prepared data. */
  public record Validation(double minClassFraction, String crossSplitDuplicates) {}

  /** Network shapes. */
  public record Model(String type, Cnn cnn, Dense dense) {}

  /** The CNN: conv blocks then one dense layer. */
  public record Cnn(List<Integer> filters, int denseUnits, double dropout) {}

  /** The dense (MLP) baseline. */
  public record Dense(List<Integer> hidden, double dropout) {}

  /** The training loop. */
  public record Train(
      int epochs,
      int batchSize,
      String optimizer,
      double learningRate,
      double l2,
      String classWeights,
      String normalization,
      String threshold,
      double fixedThreshold,
      EarlyStopping earlyStopping,
      Augment augment) {}

  /** Stop when validation AUC has not improved for `patience` epochs. */
  public record EarlyStopping(int patience, double minDelta) {}

  /** Random geometric and intensity changes to training images. */
  public record Augment(
      boolean enabled,
      double maxShift,
      double maxRotation,
      double maxZoom,
      double gamma,
      boolean hflip) {}

  /** The quality gate a model must pass to be registered. */
  public record Gate(
      double minTestF1,
      double minTestAccuracy,
      double maxTrainTestF1Gap,
      double minTestAuc,
      double minTestSpecificity) {}

  /** Hyper-parameter search. */
  public record Hpo(
      String strategy,
      int trials,
      double maxMinutes,
      int parallel,
      int gridPoints,
      Pruning pruning,
      String output,
      Space space) {}

  /** Median pruning of trials. */
  public record Pruning(boolean enabled, int warmupEpochs, int minTrials) {}

  /** Search spaces per model type. */
  public record Space(List<Param> cnn, List<Param> dense) {}

  /** One searched parameter: a config key and its range or choices. */
  public record Param(String key, String type, Double low, Double high, List<Object> values) {
    private static final java.util.Set<String> FIELDS =
        java.util.Set.of("key", "type", "low", "high", "values");

    /** Binds {key, type, low, high | values}; only the fields a type needs are required. */
    @com.fasterxml.jackson.annotation.JsonCreator(
        mode = com.fasterxml.jackson.annotation.JsonCreator.Mode.DELEGATING)
    public static Param of(java.util.Map<String, Object> m) {
      for (String k : m.keySet()) {
        if (!FIELDS.contains(k)) {
          throw new IllegalArgumentException(
              "unknown field '" + k + "' (expected key, type, low, high, values)");
        }
      }
      return new Param(
          m.get("key") == null ? null : m.get("key").toString(),
          m.get("type") == null ? null : m.get("type").toString(),
          number(m.get("low")),
          number(m.get("high")),
          m.get("values") instanceof List<?> l ? new java.util.ArrayList<>(l) : null);
    }

    private static Double number(Object o) {
      if (o == null) {
        return null;
      }
      if (o instanceof Number n) {
        return n.doubleValue();
      }
      throw new IllegalArgumentException("expected a number, got '" + o + "'");
    }
  }

  /** Where runs are recorded. */
  public record Tracking(String uri, String localDir, boolean required, String runName) {}

  /** The model registry and its promotion rule. */
  public record Registry(String name, String metric, String alias) {}

  /** Where `cxr download` fetches from. */
  public record Download(
      String target,
      String dataset,
      int medmnistSize,
      String zenodoApi,
      String zenodoRecord,
      String kaggleApi,
      String kaggleDataset,
      int timeoutSeconds,
      int retries) {}

  /** Checks every value once, so later code may trust them. */
  public CxrConfig validate() {
    need(
        experiment.name() != null && experiment.name().matches("[A-Za-z0-9._-]+"),
        "experiment.name",
        "letters, digits, '.', '_' or '-'",
        experiment.name());
    if (!"auto".equals(data.imageSize())) {
      int size;
      try {
        size = Integer.parseInt(data.imageSize());
      } catch (NumberFormatException e) {
        throw bad("data.image_size", "a positive integer or 'auto'", data.imageSize());
      }
      need(size > 0 && size <= 1024, "data.image_size", "an integer in 1..1024 or 'auto'", size);
    }
    need(
        data.folderImageSize() > 0 && data.folderImageSize() <= 1024,
        "data.folder_image_size",
        "an integer in 1..1024",
        data.folderImageSize());
    need(
        data.valFraction() > 0 && data.valFraction() < 0.5,
        "data.val_fraction",
        "a fraction in (0, 0.5)",
        data.valFraction());
    need(
        data.testFraction() > 0 && data.testFraction() < 0.5,
        "data.test_fraction",
        "a fraction in (0, 0.5)",
        data.testFraction());
    need(
        data.minSplitImages() >= 0, "data.min_split_images", "a count >= 0", data.minSplitImages());
    need(
        data.maxPerClass() >= 0,
        "data.max_per_class",
        "a count >= 0 (0 = all)",
        data.maxPerClass());
    need(data.workers() >= 0, "data.workers", "a count >= 0 (0 = all cores)", data.workers());
    need(
        data.validation().minClassFraction() >= 0 && data.validation().minClassFraction() < 0.5,
        "data.validation.min_class_fraction",
        "a fraction in [0, 0.5)",
        data.validation().minClassFraction());
    oneOf(
        "data.validation.cross_split_duplicates",
        data.validation().crossSplitDuplicates(),
        "drop",
        "warn",
        "error");
    oneOf("model.type", model.type(), "cnn", "dense");
    need(
        model.cnn().filters() != null
            && !model.cnn().filters().isEmpty()
            && model.cnn().filters().stream().allMatch(f -> f != null && f > 0),
        "model.cnn.filters",
        "a non-empty list of positive integers",
        model.cnn().filters());
    need(
        model.cnn().denseUnits() > 0,
        "model.cnn.dense_units",
        "a positive integer",
        model.cnn().denseUnits());
    dropout("model.cnn.dropout", model.cnn().dropout());
    need(
        model.dense().hidden() != null
            && !model.dense().hidden().isEmpty()
            && model.dense().hidden().stream().allMatch(f -> f != null && f > 0),
        "model.dense.hidden",
        "a non-empty list of positive integers",
        model.dense().hidden());
    dropout("model.dense.dropout", model.dense().dropout());
    need(train.epochs() > 0, "train.epochs", "a positive integer", train.epochs());
    need(train.batchSize() > 0, "train.batch_size", "a positive integer", train.batchSize());
    oneOf("train.optimizer", train.optimizer(), "adam", "sgd", "rmsprop");
    need(
        train.learningRate() > 0 && train.learningRate() < 10,
        "train.learning_rate",
        "a number in (0, 10)",
        train.learningRate());
    need(train.l2() >= 0, "train.l2", "a number >= 0", train.l2());
    oneOf("train.class_weights", train.classWeights(), "balanced", "none");
    oneOf("train.normalization", train.normalization(), "per_image", "none");
    oneOf("train.threshold", train.threshold(), "youden", "f1", "fixed");
    need(
        train.fixedThreshold() > 0 && train.fixedThreshold() < 1,
        "train.fixed_threshold",
        "a probability in (0, 1)",
        train.fixedThreshold());
    need(
        train.earlyStopping().patience() > 0,
        "train.early_stopping.patience",
        "a positive integer",
        train.earlyStopping().patience());
    need(
        train.earlyStopping().minDelta() >= 0,
        "train.early_stopping.min_delta",
        "a number >= 0",
        train.earlyStopping().minDelta());
    Augment a = train.augment();
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
    need(a.gamma() >= 0 && a.gamma() < 1, "train.augment.gamma", "a number in [0, 1)", a.gamma());
    for (var e : // in this order, so the first bad key reported is always the same
        java.util.List.of(
            java.util.Map.entry("gate.min_test_f1", gate.minTestF1()),
            java.util.Map.entry("gate.min_test_accuracy", gate.minTestAccuracy()),
            java.util.Map.entry("gate.max_train_test_f1_gap", gate.maxTrainTestF1Gap()),
            java.util.Map.entry("gate.min_test_auc", gate.minTestAuc()),
            java.util.Map.entry("gate.min_test_specificity", gate.minTestSpecificity()))) {
      need(e.getValue() >= 0 && e.getValue() <= 1, e.getKey(), "a number in [0, 1]", e.getValue());
    }
    oneOf("hpo.strategy", hpo.strategy(), "random", "grid", "genetic");
    need(hpo.trials() > 0, "hpo.trials", "a positive number of trials", hpo.trials());
    need(hpo.maxMinutes() >= 0, "hpo.max_minutes", "minutes >= 0 (0 = no limit)", hpo.maxMinutes());
    need(hpo.parallel() > 0, "hpo.parallel", "a positive number of trials at once", hpo.parallel());
    need(hpo.gridPoints() > 1, "hpo.grid_points", "an integer >= 2", hpo.gridPoints());
    need(
        hpo.pruning().warmupEpochs() >= 1,
        "hpo.pruning.warmup_epochs",
        "an integer >= 1",
        hpo.pruning().warmupEpochs());
    need(
        hpo.pruning().minTrials() >= 1,
        "hpo.pruning.min_trials",
        "an integer >= 1",
        hpo.pruning().minTrials());
    need(
        registry.name() != null && registry.name().matches("[A-Za-z0-9][A-Za-z0-9._-]{0,254}"),
        "registry.name",
        "a name of letters, digits, '.', '_' or '-'",
        registry.name());
    need(
        registry.alias() != null && registry.alias().matches("[A-Za-z][A-Za-z0-9_-]{0,254}"),
        "registry.alias",
        "an alias of letters, digits, '_' or '-'",
        registry.alias());
    need(
        registry.metric() != null && registry.metric().matches("[a-z0-9_]+"),
        "registry.metric",
        "a metrics.json key such as test_f1",
        registry.metric());
    need(
        tracking.localDir() != null && !tracking.localDir().isBlank(),
        "tracking.local_dir",
        "a folder",
        tracking.localDir());
    oneOf("download.dataset", download.dataset(), "pneumoniamnist", "kermany");
    need(
        List.of(28, 64, 128, 224).contains(download.medmnistSize()),
        "download.medmnist_size",
        "one of 28, 64, 128, 224",
        download.medmnistSize());
    need(
        download.timeoutSeconds() > 0,
        "download.timeout_seconds",
        "a positive integer",
        download.timeoutSeconds());
    need(download.retries() >= 0, "download.retries", "a count >= 0", download.retries());
    return this;
  }

  private static void dropout(String key, double p) {
    need(p >= 0 && p < 1, key, "a drop probability in [0, 1)", p);
  }

  private static void oneOf(String key, String value, String... allowed) {
    need(List.of(allowed).contains(value), key, "one of " + String.join(", ", allowed), value);
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
