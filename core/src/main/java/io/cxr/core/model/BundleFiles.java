package io.cxr.core.model;

import java.nio.file.Path;

/**
 * The file names of a trained model's outputs in {@code paths.models}: the one place they are
 * spelled.
 */
public final class BundleFiles {
  /** DL4J's archive plus cxr's model card. */
  public static final String MODEL = "model.zip";

  /** The seed-determined figures (DVC's metrics file). */
  public static final String METRICS = "metrics.json";

  /** Wall times, kept apart so that metrics.json re-runs byte for byte. */
  public static final String TIMING = "timing.json";

  /** The resolved config the model was trained with. */
  public static final String CONFIG = "config.yaml";

  /** Which tracked run produced the model. */
  public static final String RUN = "run.json";

  private BundleFiles() {}

  public static Path model(String dir) {
    return Path.of(dir, MODEL);
  }

  public static Path metrics(String dir) {
    return Path.of(dir, METRICS);
  }
}
