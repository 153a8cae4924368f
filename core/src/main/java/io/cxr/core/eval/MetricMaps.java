package io.cxr.core.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/** Operations on flat metric maps ({@code test_f1 -> 0.92, ...}). */
public final class MetricMaps {
  private MetricMaps() {}

  /** Six decimals: enough for comparisons, stable in diffs; NaN becomes null. */
  public static Map<String, Double> rounded(Map<String, Double> m) {
    Map<String, Double> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(k, v == null || v.isNaN() ? null : Math.round(v * 1e6) / 1e6));
    return out;
  }
}
