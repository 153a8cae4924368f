package io.cxr.core.data;

import io.cxr.core.Reporter;
import io.cxr.core.config.CxrConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Decides which split each sample of a source goes to: the source's own val and test splits where
 * they hold at least {@code data.min_split_images}, else splits carved out of train by patient
 * (stratified, seeded); optionally capped to {@code data.max_per_class} per class and split. Each
 * split keeps the source's order.
 */
public final class SplitAssigner {
  private SplitAssigner() {}

  /** The samples per split; {@code origin} receives where each split came from. */
  public static Map<Split, List<Sample>> assign(
      CxrConfig cfg, DataSource src, Map<Split, String> origin, Reporter reporter) {
    Map<Split, List<Sample>> official = new EnumMap<>(Split.class);
    for (Split s : Split.values()) {
      official.put(s, new ArrayList<>());
    }
    List<Sample> pool = new ArrayList<>();
    for (Sample s : src.samples()) {
      if (s.split() == null || s.split() == Split.TRAIN) {
        pool.add(s);
      } else {
        official.get(s.split()).add(s);
      }
    }
    int min = cfg.data().minSplitImages();
    boolean carveVal = official.get(Split.VAL).size() < Math.max(1, min);
    boolean carveTest = official.get(Split.TEST).size() < Math.max(1, min);
    for (Split s : new Split[] {Split.VAL, Split.TEST}) {
      boolean carve = s == Split.VAL ? carveVal : carveTest;
      if (carve) {
        if (!official.get(s).isEmpty()) {
          reporter.warn(
              "the source's "
                  + s.key()
                  + " split has only "
                  + official.get(s).size()
                  + " images (< data.min_split_images="
                  + min
                  + "): merged into train and carved anew");
          pool.addAll(official.get(s));
          official.get(s).clear();
        }
        origin.put(s, "carved from train by patient, stratified, seed " + cfg.seed());
      } else {
        origin.put(s, "source");
      }
    }
    origin.put(Split.TRAIN, carveVal || carveTest ? "source train minus carved splits" : "source");
    Map<Split, List<Sample>> out = new EnumMap<>(Split.class);
    for (Split s : Split.values()) {
      out.put(s, new ArrayList<>(official.get(s)));
    }
    if (carveVal || carveTest) {
      for (Sample s :
          PatientSplitter.split(
              pool,
              carveVal ? cfg.data().valFraction() : 0,
              carveTest ? cfg.data().testFraction() : 0,
              cfg.seed())) {
        out.get(s.split()).add(s);
      }
      Map<String, Integer> order = sourceOrder(src.samples());
      out.values().forEach(l -> l.sort(Comparator.comparing(x -> order.get(x.id()))));
    } else {
      out.get(Split.TRAIN).addAll(pool.stream().map(x -> x.withSplit(Split.TRAIN)).toList());
    }
    if (cfg.data().maxPerClass() > 0) {
      out.replaceAll((s, list) -> capPerClass(list, cfg.data().maxPerClass(), cfg.seed()));
    }
    return out;
  }

  /** At most {@code max} samples of each class, drawn with a seeded shuffle, in list order. */
  static List<Sample> capPerClass(List<Sample> list, int max, long seed) {
    List<Sample> out = new ArrayList<>();
    for (int label = 0; label < 2; label++) {
      final int l = label;
      List<Sample> cls = new ArrayList<>(list.stream().filter(s -> s.label() == l).toList());
      if (cls.size() > max) {
        Collections.shuffle(cls, new Random(seed + 7919L * l));
        cls = cls.subList(0, max);
      }
      out.addAll(cls);
    }
    Map<String, Integer> order = sourceOrder(list);
    out.sort(Comparator.comparing(x -> order.get(x.id())));
    return out;
  }

  private static Map<String, Integer> sourceOrder(List<Sample> samples) {
    Map<String, Integer> order = new HashMap<>();
    for (int i = 0; i < samples.size(); i++) {
      order.put(samples.get(i).id(), i);
    }
    return order;
  }
}
