package io.cxr.core.data;

import java.util.Locale;

/** What a data source is: a Kermany-style JPEG folder or a MedMNIST npz archive. */
public enum SourceKind {
  FOLDER,
  NPZ;

  /** The name written in manifests ({@code folder}, {@code npz}). */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }
}
