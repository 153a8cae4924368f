package io.cxr.core.data;

import io.cxr.core.CxrException;
import io.cxr.core.config.DuplicatePolicy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Identical images (same decoded pixels) in two splits, a leak between what is trained on and what
 * is held out. Splits are written held-out first, so the copy met later is the one in the split
 * that is trained on; {@code data.validation.cross_split_duplicates} says what happens to it:
 * {@code drop} (removed, listed in the manifest), {@code warn} or {@code error}. Identical images
 * with different labels (one film filed under both NORMAL and PNEUMONIA), in one split or two, are
 * always warned of: a model cannot learn both answers, and the duplicate policy says nothing of
 * which label is right.
 */
public final class CrossSplitDuplicates {
  private static final int WARN_LIMIT = 5;

  private final DuplicatePolicy policy;
  private final Map<String, Holder> seen = new HashMap<>(); // pixel hash -> first copy
  private final List<Map<String, String>> dropped = new ArrayList<>();
  private final List<String> warnings = new ArrayList<>();
  private int warned;
  private int conflicts;

  /** Where the first copy of some pixels was written, with its label. */
  private record Holder(String split, String id, int label) {
    @Override
    public String toString() {
      return split + ":" + id;
    }
  }

  public CrossSplitDuplicates(DuplicatePolicy policy) {
    this.policy = policy;
  }

  /** Whether sample {@code s} of {@code split}, whose pixels hash to {@code hash}, is kept. */
  boolean admit(Split split, Sample s, String hash) {
    Holder prev = seen.putIfAbsent(hash, new Holder(split.key(), s.id(), s.label()));
    if (prev != null && prev.label() != s.label() && conflicts++ < WARN_LIMIT) {
      warnings.add(
          "one image, two labels: "
              + s.id()
              + " ("
              + Label.of(s.label()).name()
              + ", "
              + split.key()
              + ") is identical to "
              + prev.id()
              + " ("
              + Label.of(prev.label()).name()
              + ", "
              + prev.split()
              + ")");
    }
    if (prev == null || prev.split().equals(split.key())) {
      return true;
    }
    String msg =
        "image "
            + s.id()
            + " in "
            + split.key()
            + " is identical to "
            + prev.id()
            + " in "
            + prev.split();
    return switch (policy) {
      case ERROR ->
          throw new CxrException(
              "duplicate images across splits: "
                  + msg
                  + " (expected "
                  + "disjoint splits; set data.validation.cross_split_duplicates=drop or warn)");
      case DROP -> {
        // ordered: Map.of's order changes from JVM to JVM, and with it the manifest's hash
        Map<String, String> dup = new LinkedHashMap<>();
        dup.put("dropped", split.key() + ":" + s.id());
        dup.put("same_as", prev.toString());
        dropped.add(dup);
        yield false;
      }
      case WARN -> {
        if (warned++ < WARN_LIMIT) {
          warnings.add("duplicate across splits: " + msg);
        }
        yield true;
      }
    };
  }

  /**
   * Where an image with these pixels was written, as {@code split:id}, or null if in no split: the
   * leakage check of external sets.
   */
  String holder(String hash) {
    Holder h = seen.get(hash);
    return h == null ? null : h.toString();
  }

  /** Closes a split's account: a summary of further warnings and of what was dropped. */
  void endSplit(Split split, int droppedHere) {
    if (warned > WARN_LIMIT) {
      warnings.add("... and " + (warned - WARN_LIMIT) + " more duplicates across splits");
    }
    warned = 0;
    if (conflicts > WARN_LIMIT) {
      warnings.add("... and " + (conflicts - WARN_LIMIT) + " more images with two labels");
    }
    conflicts = 0;
    if (droppedHere > 0) {
      warnings.add(
          "dropped "
              + droppedHere
              + " images from "
              + split.key()
              + " that also appear in a held-out split");
    }
  }

  /** The dropped copies, {dropped: split:id, same_as: split:id}, in the order met. */
  public List<Map<String, String>> dropped() {
    return dropped;
  }

  public List<String> warnings() {
    return warnings;
  }
}
