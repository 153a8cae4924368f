package io.cxr.core.data;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** A labelled image collection: a Kermany folder tree or a MedMNIST npz. */
public interface DataSource {
  /** What and where, for messages and the manifest. */
  String describe();

  /** "folder" or "npz". */
  SourceKind kind();

  /** Every sample, in a deterministic order. */
  List<Sample> samples();

  /** The splits the source itself provides (empty when it is one unsplit labelled set). */
  Set<Split> splits();

  /** The side of the source's square images, or -1 when it varies (JPEG folders). */
  int nativeSize();

  /**
   * Decodes one sample to grayscale {@code size x size} floats in [0, 1], row-major, into {@code
   * out[offset, offset + size*size)}. Called from several threads at once.
   */
  void load(Sample sample, int size, float[] out, int offset);

  /**
   * The share of the width and of the height cut off each side of an image before it is resized
   * (the border where the body outline and text markers sit). Only image files are cropped: a
   * MedMNIST npz comes framed and resized by its makers, and stays whole (0).
   */
  default double crop() {
    return 0;
  }

  /**
   * This source with images cropped by {@code crop} per side where it crops (see {@link #crop}).
   */
  default DataSource withCrop(double crop) {
    return this;
  }

  /** What opening the source passed over and the user should hear of (one line each). */
  default List<String> warnings() {
    return List.of();
  }

  /** Content hashes of the source (file or relative path -> sha256), for the manifest. */
  Map<String, String> sourceHashes();
}
