package io.cxr.core.data;

import java.util.List;

/** The two classes: 0 = NORMAL (no pneumonia), 1 = PNEUMONIA. */
public enum Label {
  NORMAL,
  PNEUMONIA;

  public static final List<String> NAMES = List.of(NORMAL.name(), PNEUMONIA.name());

  public int index() {
    return ordinal();
  }

  public static Label of(int index) {
    return values()[index];
  }
}
