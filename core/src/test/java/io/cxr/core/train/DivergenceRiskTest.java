package io.cxr.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.TestData;
import io.cxr.core.config.CxrConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DivergenceRiskTest {
  @TempDir Path tmp;

  List<String> warnings(int size, String... overrides) {
    CxrConfig cfg = TestData.config(tmp, overrides);
    return DivergenceRisk.warnings(cfg, size);
  }

  @Test
  void theDefaultsRaiseNoWarningAtAnyOfferedSize() {
    for (int size : new int[] {28, 64, 128, 224}) {
      assertEquals(List.of(), warnings(size), "at " + size + " px");
    }
  }

  @Test
  void theFlattenHeadWithAdamIsFlaggedAt128PxButNotAt64Px() {
    assertEquals(List.of(), warnings(64, "model.cnn.head=flatten"));
    List<String> w = warnings(128, "model.cnn.head=flatten");
    assertEquals(1, w.size(), w.toString());
    assertTrue(w.get(0).contains("16,384 inputs"), w.get(0));
    assertTrue(w.get(0).contains("model.cnn.head=grid"), w.get(0));
    // the same fan-in at a small enough rate is fine
    assertEquals(List.of(), warnings(128, "model.cnn.head=flatten", "train.learning_rate=0.0004"));
  }

  @Test
  void theDenseBaselineIsFlaggedByItsPixelCountAndToldToShrinkTheImage() {
    assertEquals(List.of(), warnings(28, "model.type=dense"));
    List<String> w = warnings(128, "model.type=dense");
    assertEquals(1, w.size(), w.toString());
    assertTrue(w.get(0).contains("data.folder_image_size"), w.get(0));
  }

  @Test
  void aLargeSgdRateAndATinyBatchAreFlagged() {
    assertEquals(List.of(), warnings(28, "train.optimizer=sgd", "train.learning_rate=0.05"));
    List<String> sgd = warnings(28, "train.optimizer=sgd", "train.learning_rate=0.5");
    assertEquals(1, sgd.size(), sgd.toString());
    assertTrue(sgd.get(0).contains("train.learning_rate=0.5"), sgd.get(0));
    List<String> tiny = warnings(28, "train.batch_size=4");
    assertEquals(1, tiny.size(), tiny.toString());
    assertTrue(tiny.get(0).contains("train.batch_size=4"), tiny.get(0));
    assertEquals(List.of(), warnings(28, "train.batch_size=8"));
  }
}
