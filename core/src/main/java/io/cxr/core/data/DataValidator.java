package io.cxr.core.data;

import io.cxr.core.CxrException;
import io.cxr.core.config.CxrConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The checks that stop the pipeline before training: every split present has both classes, no class
 * is below the configured share, values are finite and in [0, 1].
 */
public final class DataValidator {
  private DataValidator() {}

  /**
   * Throws on the first failed check; returns warnings for what is only worth a look.
   *
   * @param where names the data in messages (a folder or file)
   */
  public static List<String> check(
      Map<Split, SplitStats> stats, CxrConfig.Validation cfg, String where) {
    List<String> warnings = new ArrayList<>();
    for (Split s : new Split[] {Split.TRAIN, Split.VAL, Split.TEST}) {
      SplitStats st = stats.get(s);
      if (st == null) {
        throw new CxrException(
            where + ": split '" + s.key() + "' is missing (expected train, " + "val and test)");
      }
      if (st.count() == 0) {
        throw new CxrException(
            where + ": split '" + s.key() + "' is empty (expected images of " + "both classes)");
      }
      classes(s, st, cfg, where);
      if (st.nonFinite() > 0) {
        throw new CxrException(
            where
                + ": split '"
                + s.key()
                + "' has "
                + st.nonFinite()
                + " NaN or infinite pixel values (expected finite values in [0, 1])");
      }
      if (st.min() < 0 || st.max() > 1) {
        throw new CxrException(
            where
                + ": split '"
                + s.key()
                + "' has values in ["
                + st.min()
                + ", "
                + st.max()
                + "] (expected [0, 1])");
      }
      if (st.max() - st.min() < 1e-6) {
        warnings.add("split '" + s.key() + "' has constant pixel values");
      }
      double minority =
          Math.min(st.count(Label.NORMAL), st.count(Label.PNEUMONIA)) / (double) st.count();
      if (minority < 0.2) {
        warnings.add(
            String.format(
                Locale.ROOT,
                "split '%s' is imbalanced: %d NORMAL / %d PNEUMONIA",
                s.key(),
                st.count(Label.NORMAL),
                st.count(Label.PNEUMONIA)));
      }
    }
    return warnings;
  }

  /** Both classes in the split, neither below {@code data.validation.min_class_fraction}. */
  private static void classes(Split s, SplitStats st, CxrConfig.Validation cfg, String where) {
    for (Label l : Label.values()) {
      if (st.count(l) == 0) {
        throw new CxrException(
            where
                + ": split '"
                + s.key()
                + "' has no "
                + l.name()
                + " images (expected both classes in every split)");
      }
      double share = st.count(l) / (double) st.count();
      if (share < cfg.minClassFraction()) {
        throw new CxrException(
            String.format(
                Locale.ROOT,
                "%s: split '%s' has %.1f%% %s images (expected at least %.1f%%, "
                    + "data.validation.min_class_fraction)",
                where,
                s.key(),
                100 * share,
                l.name(),
                100 * cfg.minClassFraction()));
      }
    }
  }
}
