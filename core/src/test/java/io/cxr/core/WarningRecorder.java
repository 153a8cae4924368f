package io.cxr.core;

import java.util.ArrayList;
import java.util.List;

/** A reporter for tests that keeps the warnings (in order) and drops the rest. */
public final class WarningRecorder implements Reporter {
  public final List<String> warnings = new ArrayList<>();

  @Override
  public void info(String message) {}

  @Override
  public void warn(String message) {
    warnings.add(message);
  }

  @Override
  public Progress progress(String task, long total) {
    return Progress.NONE;
  }
}
