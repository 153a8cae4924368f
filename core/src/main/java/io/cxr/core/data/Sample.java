package io.cxr.core.data;

import java.nio.file.Path;

/**
 * One labelled image of a source, before decoding.
 *
 * @param id stable identifier: the path relative to the source root, or {@code split:index}
 * @param label 0 = NORMAL, 1 = PNEUMONIA
 * @param patient patient identifier; images of one patient stay in one split
 * @param split the split the source put it in, or null when the source has no splits
 * @param file the image file, or null for array sources
 * @param index the row in an array source, or -1
 */
public record Sample(String id, int label, String patient, Split split, Path file, int index) {
  public Sample withSplit(Split s) {
    return new Sample(id, label, patient, s, file, index);
  }
}
