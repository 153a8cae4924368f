package io.cxr.core.model;

import java.nio.file.Path;

/**
 * One image's verdict: the label at the model's threshold and P(PNEUMONIA), or, for a file that
 * could not be read, label {@value #ERROR}, probability NaN and the reason.
 */
public record Prediction(Path file, String label, double probability, String error) {
  public static final String ERROR = "ERROR";

  public Prediction(Path file, String label, double probability) {
    this(file, label, probability, null);
  }

  /** A file that could not be scored. */
  public static Prediction failed(Path file, String reason) {
    return new Prediction(file, ERROR, Double.NaN, reason);
  }

  public boolean failed() {
    return error != null;
  }
}
