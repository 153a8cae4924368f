package io.cxr.core.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Carves validation and test splits out of a pool, by patient (all images of a patient land in one
 * split), stratified by class (each split gets about its fraction of every class) and seeded.
 */
public final class PatientSplitter {
  private PatientSplitter() {}

  /**
   * Assigns each pooled sample to TRAIN, VAL or TEST.
   *
   * @param valFraction share of each class for VAL (0 to carve none)
   * @param testFraction share of each class for TEST (0 to carve none)
   */
  public static List<Sample> split(
      List<Sample> pool, double valFraction, double testFraction, long seed) {
    Map<String, List<Sample>> byPatient = new TreeMap<>();
    for (Sample s : pool) {
      byPatient.computeIfAbsent(s.patient(), k -> new ArrayList<>()).add(s);
    }
    List<Sample> out = new ArrayList<>(pool.size());
    for (Label label : Label.values()) {
      List<List<Sample>> patients = new ArrayList<>();
      int total = 0;
      for (List<Sample> images : byPatient.values()) {
        if (majority(images) == label.index()) {
          patients.add(images);
          total += images.size();
        }
      }
      // a fixed order before the seeded shuffle makes the split depend only on the seed
      patients.sort(Comparator.comparing(p -> p.get(0).patient()));
      Collections.shuffle(patients, new Random(seed * 31 + label.index()));
      long testTarget = Math.round(total * testFraction);
      long valTarget = Math.round(total * valFraction);
      int test = 0;
      int val = 0;
      for (List<Sample> images : patients) {
        Split to;
        if (test < testTarget) {
          to = Split.TEST;
          test += images.size();
        } else if (val < valTarget) {
          to = Split.VAL;
          val += images.size();
        } else {
          to = Split.TRAIN;
        }
        for (Sample s : images) {
          out.add(s.withSplit(to));
        }
      }
    }
    return out;
  }

  private static int majority(List<Sample> images) {
    int pneumonia = 0;
    for (Sample s : images) {
      pneumonia += s.label();
    }
    return 2 * pneumonia >= images.size() ? 1 : 0;
  }
}
