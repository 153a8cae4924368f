package io.cxr.core.model;

import java.nio.file.Path;

/** One image's verdict: the label at the model's threshold and P(PNEUMONIA). */
public record Prediction(Path file, String label, double probability) {}
