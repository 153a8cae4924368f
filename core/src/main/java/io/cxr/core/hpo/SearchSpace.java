package io.cxr.core.hpo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cxr.core.CxrException;
import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;
import org.deeplearning4j.arbiter.optimize.parameter.continuous.ContinuousParameterSpace;
import org.deeplearning4j.arbiter.optimize.parameter.discrete.DiscreteParameterSpace;
import org.deeplearning4j.arbiter.optimize.parameter.integer.IntegerParameterSpace;

/**
 * The search space of {@code hpo.space.<model>} as an Arbiter {@link ParameterSpace} whose values
 * are maps from config key to sampled value, so Arbiter's random, grid and genetic generators drive
 * cxr's own trainer. Log-uniform parameters are searched uniformly in log space.
 */
public final class SearchSpace implements ParameterSpace<Map<String, Object>> {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper FLOW = new ObjectMapper();
  private final List<String> keys = new ArrayList<>();
  private final List<String> types = new ArrayList<>();
  private final List<ParameterSpace<?>> leaves = new ArrayList<>();

  private SearchSpace() {}

  /** Builds and checks the space; every error names the parameter and comes before training. */
  public static SearchSpace of(CxrConfig cfg) {
    List<CxrConfig.Param> params =
        cfg.model().type() == io.cxr.core.config.ModelType.DENSE
            ? cfg.hpo().space().dense()
            : cfg.hpo().space().cnn();
    String where = "hpo.space." + cfg.model().type();
    if (params == null || params.isEmpty()) {
      throw new CxrException("config key '" + where + "': expected a non-empty list of parameters");
    }
    SearchSpace s = new SearchSpace();
    for (int i = 0; i < params.size(); i++) {
      CxrConfig.Param p = params.get(i);
      String at = where + "[" + i + "]";
      if (p.key() == null || p.key().isBlank()) {
        throw new CxrException("config key '" + at + "': missing 'key' (a config key to search)");
      }
      at = where + "[" + p.key() + "]";
      if (s.keys.contains(p.key())) {
        throw new CxrException("config key '" + at + "': searched twice");
      }
      String type = p.type() == null ? "" : p.type();
      ParameterSpace<?> leaf =
          switch (type) {
            case "uniform", "log_uniform", "int" -> range(p, at, type);
            case "choice" -> {
              if (p.values() == null || p.values().isEmpty()) {
                throw new CxrException(
                    "config key '" + at + "': choice needs a non-empty 'values' list");
              }
              yield new DiscreteParameterSpace<>(p.values());
            }
            default ->
                throw new CxrException(
                    "config key '"
                        + at
                        + "': unknown type '"
                        + type
                        + "' (expected log_uniform, uniform, int or choice)");
          };
      s.keys.add(p.key());
      s.types.add(type);
      s.leaves.add(leaf);
    }
    // every key must exist and accept its values: try the extremes through the config loader
    for (double edge : new double[] {0.0, 1.0}) {
      double[] v = new double[s.numParameters()];
      Arrays.fill(v, edge);
      int idx = 0;
      for (ParameterSpace<?> leaf : s.leaves) {
        leaf.setIndices(idx++);
      }
      s.trialConfig(cfg, s.getValue(v));
    }
    return s;
  }

  private static ParameterSpace<?> range(CxrConfig.Param p, String at, String type) {
    if (p.low() == null || p.high() == null) {
      throw new CxrException("config key '" + at + "': " + type + " needs 'low' and 'high'");
    }
    if (!(p.low() < p.high())) {
      throw new CxrException(
          String.format(
              Locale.ROOT,
              "config key '%s': empty or inverted range [%s, %s] (expected low < high)",
              at,
              p.low(),
              p.high()));
    }
    if ("log_uniform".equals(type)) {
      if (p.low() <= 0) {
        throw new CxrException(
            "config key '" + at + "': log_uniform needs low > 0, got " + p.low());
      }
      return new ContinuousParameterSpace(Math.log(p.low()), Math.log(p.high()));
    }
    if ("int".equals(type)) {
      return new IntegerParameterSpace((int) Math.round(p.low()), (int) Math.round(p.high()));
    }
    return new ContinuousParameterSpace(p.low(), p.high());
  }

  /**
   * The config of one trial: the search's resolved config with the sampled values set (checked as
   * any override is; the base is never re-read from its file).
   */
  public CxrConfig trialConfig(CxrConfig base, Map<String, Object> sample) {
    return ConfigLoader.with(base, overrides(sample));
  }

  /** key=value overrides for a sample (values as YAML flow). */
  public static List<String> overrides(Map<String, Object> sample) {
    List<String> out = new ArrayList<>();
    sample.forEach((k, v) -> out.add(k + "=" + flow(v)));
    return out;
  }

  public static String flow(Object v) {
    try {
      return v instanceof String s ? s : FLOW.writeValueAsString(v);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  public List<String> keys() {
    return keys;
  }

  @Override
  public Map<String, Object> getValue(double[] values) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (int i = 0; i < leaves.size(); i++) {
      Object v = leaves.get(i).getValue(values);
      if ("log_uniform".equals(types.get(i))) {
        v = Math.exp((Double) v);
      }
      if (v instanceof Double d && !"int".equals(types.get(i))) {
        v = Double.valueOf(String.format(Locale.ROOT, "%.6g", d)); // readable, exact in YAML
      }
      out.put(keys.get(i), v);
    }
    return out;
  }

  @Override
  public int numParameters() {
    return leaves.size();
  }

  @Override
  public List<ParameterSpace> collectLeaves() {
    return new ArrayList<>(leaves);
  }

  @Override
  public Map<String, ParameterSpace> getNestedSpaces() {
    Map<String, ParameterSpace> m = new LinkedHashMap<>();
    for (int i = 0; i < keys.size(); i++) {
      m.put(keys.get(i), leaves.get(i));
    }
    return m;
  }

  @Override
  public boolean isLeaf() {
    return false;
  }

  @Override
  public void setIndices(int... indices) {
    throw new UnsupportedOperationException("not a leaf");
  }
}
