package io.cxr.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.TestData;
import io.cxr.core.config.CxrConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.schedule.ISchedule;

/** {@code train.schedule: cosine}: the learning rate per epoch, and the network carries it. */
class ScheduleTest {
  @Test
  void cosineFallsFromTheFullRateToNearZero() {
    ISchedule s = NetworkFactory.cosine(1e-3, 10);
    assertEquals(1e-3, s.valueAt(0, 0), 1e-12);
    assertEquals(5e-4, s.valueAt(0, 5), 1e-12);
    assertTrue(s.valueAt(0, 9) < 3e-5, "last epoch: " + s.valueAt(0, 9));
    for (int e = 1; e < 10; e++) {
      assertTrue(s.valueAt(0, e) < s.valueAt(0, e - 1), "falls at epoch " + e);
    }
  }

  @Test
  void theConfiguredNetworkUsesTheScheduleOnlyWhenAsked(@TempDir Path tmp) {
    CxrConfig cosine = TestData.config(tmp, "train.schedule=cosine", "train.epochs=4");
    var net =
        NetworkFactory.build(io.cxr.core.config.ModelType.CNN, cosine, 28, new double[] {1, 1});
    Adam adam = (Adam) net.getLayer(0).conf().getLayer().getUpdaterByParam("W");
    assertEquals(5e-4, adam.getLearningRateSchedule().valueAt(0, 2), 1e-12);
    CxrConfig constant = TestData.config(tmp, "train.epochs=4");
    var plain =
        NetworkFactory.build(io.cxr.core.config.ModelType.CNN, constant, 28, new double[] {1, 1});
    Adam fixed = (Adam) plain.getLayer(0).conf().getLayer().getUpdaterByParam("W");
    assertEquals(null, fixed.getLearningRateSchedule());
    assertEquals(1e-3, fixed.getLearningRate(), 1e-12);
  }
}
