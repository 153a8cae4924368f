package io.cxr.core.data;

import java.util.Locale;

/** The three splits of a data set. */
public enum Split {
  TRAIN,
  VAL,
  TEST;

  /** The lower-case name used in folders, npz keys and file names. */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }
}
