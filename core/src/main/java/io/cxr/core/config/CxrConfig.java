package io.cxr.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
      double crop,
      double valFraction,
      double testFraction,
      int minSplitImages,
      int maxPerClass,
      int workers,
      DecoderChoice decoder,
      Validation validation,
      List<String> external) {
    /** The largest {@code data.crop}: a quarter off each side keeps half of each dimension. */
    public static final double MAX_CROP = 0.25;

    /** Explicit image size, or -1 for `auto`. */
    public int explicitImageSize() {
      return "auto".equals(imageSize) ? -1 : Integer.parseInt(imageSize);
    }
  }

  /** Checks run on prepared data. */
  public record Validation(double minClassFraction, DuplicatePolicy crossSplitDuplicates) {}

  /** Network shapes. */
  public record Model(ModelType type, Cnn cnn, Dense dense) {}

  /**
   * The CNN: conv blocks, a head that turns the last feature maps into a vector ({@code gap}:
   * global average pooling, the same 1 value per channel at any image size; {@code flatten}: every
   * position, so the dense layer's fan-in grows with the image area), then one dense layer.
   */
  public record Cnn(List<Integer> filters, CnnHead head, int denseUnits, double dropout) {}

  /** The dense (MLP) baseline. */
  public record Dense(List<Integer> hidden, double dropout) {}

  /** The training loop. */
  public record Train(
      int epochs,
      int batchSize,
      OptimizerChoice optimizer,
      double learningRate,
      double l2,
      ClassWeights classWeights,
      Normalization normalization,
      ThresholdRule threshold,
      double fixedThreshold,
      double targetSensitivity,
      CalibrationMethod calibration,
      double labelSmoothing,
      double mixup,
      int ensemble,
      EarlyStopping earlyStopping,
      Augment augment,
      FitOn thresholdOn,
      FitOn calibrationOn,
      double shiftMargin,
      Schedule schedule) {

    /** The same section training {@code members} networks. */
    public Train withEnsemble(int members) {
      return copy(epochs, members, earlyStopping);
    }

    /** The same section training {@code count} epochs with early stopping's patience {@code p}. */
    public Train withEpochs(int count, int p) {
      return copy(
          count,
          ensemble,
          new EarlyStopping(
              p, earlyStopping.minDelta(), earlyStopping.metric(), earlyStopping.on()));
    }

    /** This section with the fields the withers change. */
    private Train copy(int epochCount, int members, EarlyStopping es) {
      return new Train(
          epochCount,
          batchSize,
          optimizer,
          learningRate,
          l2,
          classWeights,
          normalization,
          threshold,
          fixedThreshold,
          targetSensitivity,
          calibration,
          labelSmoothing,
          mixup,
          members,
          es,
          augment,
          thresholdOn,
          calibrationOn,
          shiftMargin,
          schedule);
    }
  }

  /** The same configuration with another seed (an ensemble member's). */
  public CxrConfig withSeed(long other) {
    return new CxrConfig(
        other, experiment, paths, data, model, train, gate, hpo, tracking, registry, download);
  }

  /** The same configuration training {@code members} networks ({@code train.ensemble}). */
  public CxrConfig withEnsemble(int members) {
    return withTrain(train.withEnsemble(members));
  }

  /** The same configuration with another training section. */
  public CxrConfig withTrain(Train other) {
    return new CxrConfig(
        seed, experiment, paths, data, model, other, gate, hpo, tracking, registry, download);
  }

  /** The same configuration recording runs at {@code uri} ({@code tracking.uri}). */
  public CxrConfig withTrackingUri(String uri) {
    Tracking t = new Tracking(uri, tracking.localDir(), tracking.required(), tracking.runName());
    return new CxrConfig(
        seed, experiment, paths, data, model, train, gate, hpo, t, registry, download);
  }

  /** The same configuration writing its model into {@code models} ({@code paths.models}). */
  public CxrConfig withModelsDir(String models) {
    Paths p = new Paths(paths.prepared(), models, paths.artifacts(), paths.reports());
    return new CxrConfig(
        seed, experiment, p, data, model, train, gate, hpo, tracking, registry, download);
  }

  /**
   * Stop when the validation metric ({@code auc}, or {@code log_loss}: not saturated when the
   * validation split is nearly separable) has not improved for `patience` epochs.
   */
  public record EarlyStopping(int patience, double minDelta, StoppingMetric metric, StopOn on) {
    /** Whether the best epoch is the one of lowest validation log-loss (else highest AUC). */
    public boolean onLogLoss() {
      return metric == StoppingMetric.LOG_LOSS;
    }

    /** Whether the best epoch is picked on the external sets ({@code data.external}). */
    public boolean onExternal() {
      return on == StopOn.EXTERNAL;
    }
  }

  /** Random geometric and intensity changes to training images. */
  public record Augment(
      boolean enabled,
      double maxShift,
      double maxRotation,
      double maxZoom,
      double maxAspect,
      double gamma,
      double contrast,
      double noise,
      double sharpness,
      double downscale,
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
      SearchStrategy strategy,
      int trials,
      double maxMinutes,
      int parallel,
      int gridPoints,
      Pruning pruning,
      String output,
      Space space,
      Objective objective) {}

  /** Median pruning of trials. */
  public record Pruning(boolean enabled, int warmupEpochs, int minTrials) {}

  /** Search spaces per model type. */
  public record Space(List<Param> cnn, List<Param> dense) {}

  /** One searched parameter: a config key and its range or choices. */
  public record Param(String key, String type, Double low, Double high, List<Object> values) {
    private static final Set<String> FIELDS = Set.of("key", "type", "low", "high", "values");

    /** Binds {key, type, low, high | values}; only the fields a type needs are required. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static Param of(Map<String, Object> m) {
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
          m.get("values") instanceof List<?> l ? new ArrayList<>(l) : null);
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
      DownloadDataset dataset,
      int medmnistSize,
      String zenodoApi,
      String zenodoRecord,
      String kaggleApi,
      String kaggleDataset,
      int timeoutSeconds,
      int retries) {}

  /** Checks every value once, so later code may trust them. */
  public CxrConfig validate() {
    ConfigValidator.check(this);
    return this;
  }

  /** Where this experiment's plots and reports go: {@code <paths.artifacts>/<experiment.name>}. */
  public Path experimentArtifacts() {
    return Path.of(paths.artifacts(), experiment.name());
  }
}
