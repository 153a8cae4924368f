package io.cxr.core.hpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.CxrException;
import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SearchSpaceTest {
  private static SearchSpace space(String... overrides) {
    CxrConfig c = ConfigLoader.load(null, List.of(overrides));
    return SearchSpace.of(c);
  }

  @Test
  void theDefaultCnnSpaceHasItsSevenKeysInOrder() {
    assertEquals(
        List.of(
            "train.learning_rate",
            "train.l2",
            "model.cnn.dropout",
            "model.cnn.filters",
            "model.cnn.dense_units",
            "train.batch_size",
            "train.optimizer"),
        space().keys());
  }

  @Test
  void samplesMapTheUnitCubeOntoTheRangesLogUniformOnALogScale() {
    SearchSpace s = space();
    int i = 0;
    for (var leaf : s.collectLeaves()) {
      leaf.setIndices(i++);
    }
    double[] low = new double[s.numParameters()];
    double[] high = new double[s.numParameters()];
    java.util.Arrays.fill(high, 1.0);
    double[] mid = new double[s.numParameters()];
    java.util.Arrays.fill(mid, 0.5);
    Map<String, Object> lo = s.getValue(low);
    Map<String, Object> hi = s.getValue(high);
    assertEquals(0.0002, (Double) lo.get("train.learning_rate"), 1e-12);
    assertEquals(0.005, (Double) hi.get("train.learning_rate"), 1e-12);
    // the geometric mean of 2e-4 and 5e-3 is 1e-3
    assertEquals(0.001, (Double) s.getValue(mid).get("train.learning_rate"), 1e-9);
    assertEquals(0.0, (Double) lo.get("model.cnn.dropout"), 0);
    assertEquals(0.25, (Double) s.getValue(mid).get("model.cnn.dropout"), 1e-12);
    assertEquals(List.of(16, 32, 64), lo.get("model.cnn.filters"));
    assertEquals("rmsprop", hi.get("train.optimizer"));
  }

  @Test
  void aTrialConfigIsTheBaseConfigPlusTheSample() {
    CxrConfig base = ConfigLoader.load(null, List.of("train.epochs=2"));
    CxrConfig c =
        space()
            .trialConfig(
                base, Map.of("train.learning_rate", 0.003, "model.cnn.filters", List.of(8, 16)));
    assertEquals(0.003, c.train().learningRate());
    assertEquals(List.of(8, 16), c.model().cnn().filters());
    assertEquals(2, c.train().epochs());
  }

  @Test
  void flowWritesListsAsYamlFlowAndStringsAsThemselves() {
    assertEquals("[8,16]", SearchSpace.flow(List.of(8, 16)));
    assertEquals("adam", SearchSpace.flow("adam"));
    assertEquals("0.001", SearchSpace.flow(0.001));
    Map<String, Object> sample = new java.util.LinkedHashMap<>();
    sample.put("train.optimizer", "adam");
    sample.put("model.cnn.filters", List.of(8, 16));
    assertEquals(
        List.of("train.optimizer=adam", "model.cnn.filters=[8,16]"), SearchSpace.overrides(sample));
  }

  @Test
  void badSpacesAreRefusedNamingTheEntry() {
    assertMessage(
        "'hpo.space.cnn[train.learning_rate]': empty or inverted range",
        "hpo.space.cnn=[{key: train.learning_rate, type: uniform, low: 0.1, high: 0.1}]");
    assertMessage(
        "'hpo.space.cnn[train.l2]': log_uniform needs low > 0",
        "hpo.space.cnn=[{key: train.l2, type: log_uniform, low: 0, high: 1}]");
    assertMessage(
        "'hpo.space.cnn[train.l2]': uniform needs 'low' and 'high'",
        "hpo.space.cnn=[{key: train.l2, type: uniform, low: 0}]");
    assertMessage(
        "'hpo.space.cnn[train.l2]': searched twice",
        "hpo.space.cnn=[{key: train.l2, type: uniform, low: 0, high: 1},"
            + " {key: train.l2, type: uniform, low: 0, high: 1}]");
    assertMessage(
        "'hpo.space.cnn[train.epochs]': unknown type 'normal'",
        "hpo.space.cnn=[{key: train.epochs, type: normal, low: 1, high: 3}]");
    assertMessage(
        "'hpo.space.cnn[train.optimizer]': choice needs a non-empty 'values' list",
        "hpo.space.cnn=[{key: train.optimizer, type: choice, values: []}]");
    assertMessage(
        "'hpo.space.cnn[0]': missing 'key'", "hpo.space.cnn=[{type: uniform, low: 0, high: 1}]");
    assertMessage("'hpo.space.cnn': expected a non-empty list", "hpo.space.cnn=[]");
    // every key must exist and accept the range's ends
    CxrException e =
        assertThrows(
            CxrException.class,
            () -> space("hpo.space.cnn=[{key: train.epochs, type: int, low: 0, high: 3}]"));
    assertTrue(e.getMessage().contains("train.epochs"), e.getMessage());
  }

  private static void assertMessage(String part, String override) {
    CxrException e = assertThrows(CxrException.class, () -> space(override));
    assertTrue(e.getMessage().contains(part), e.getMessage());
  }

  @Test
  void uniformValuesAreNotExponentiatedAndLogUniformOnesAre() {
    SearchSpace s =
        space(
            "hpo.space.cnn=[{key: train.learning_rate, type: log_uniform, low: 0.0001, high: 0.01},"
                + " {key: model.cnn.dropout, type: uniform, low: 0.1, high: 0.5}]");
    int i = 0;
    for (var leaf : s.collectLeaves()) {
      leaf.setIndices(i++);
    }
    assertEquals(2, s.collectLeaves().size());
    assertEquals(s.keys(), List.copyOf(s.getNestedSpaces().keySet()));
    assertTrue(!s.isLeaf(), "a space of leaves");
    Map<String, Object> lo = s.getValue(new double[] {0, 0});
    Map<String, Object> hi = s.getValue(new double[] {1, 1});
    assertEquals(0.0001, (Double) lo.get("train.learning_rate"), 1e-15);
    assertEquals(0.01, (Double) hi.get("train.learning_rate"), 1e-15);
    assertEquals(0.1, (Double) lo.get("model.cnn.dropout"), 0);
    assertEquals(0.5, (Double) hi.get("model.cnn.dropout"), 0);
    // values are rounded to 6 significant digits, so that they read back exactly from YAML
    assertEquals(
        0.233333, (Double) s.getValue(new double[] {0, 1.0 / 3}).get("model.cnn.dropout"), 0);
  }

  @Test
  void aRangeWhoseUpperEndIsNotAValidValueIsRefusedBeforeTheSearch() {
    CxrException e =
        assertThrows(
            CxrException.class,
            () ->
                space(
                    "hpo.space.cnn=[{key: model.cnn.dropout, type: uniform, low: 0.5, high:"
                        + " 1.5}]"));
    assertTrue(
        e.getMessage().contains("config key 'model.cnn.dropout'")
            && e.getMessage().contains("got '1.5'"),
        e.getMessage());
  }
}
