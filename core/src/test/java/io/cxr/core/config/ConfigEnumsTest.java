package io.cxr.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The config's words and the enums and paths the code uses for them. */
class ConfigEnumsTest {
  @Test
  void everyModelTypeAndNormalizationRoundTripsThroughItsConfigWord() {
    for (ModelType t : ModelType.values()) {
      assertEquals(t, ModelType.of(t.key()));
    }
    assertEquals("cnn", ModelType.CNN.key());
    assertEquals(ModelType.DENSE, ModelType.of("dense"));
    for (Normalization n : Normalization.values()) {
      assertEquals(n, Normalization.of(n.key()));
    }
    assertEquals("per_image", Normalization.PER_IMAGE.key());
    assertEquals(Normalization.NONE, Normalization.of("none"));
  }

  @Test
  void theLoadedConfigNamesItsEnumsAndTheExperimentsArtifactFolder() {
    CxrConfig c =
        ConfigLoader.load(
            null,
            List.of(
                "model.type=dense",
                "train.normalization=none",
                "paths.artifacts=/data/art",
                "experiment.name=weekly"));
    assertEquals(ModelType.DENSE, c.model().modelType());
    assertEquals(Normalization.NONE, c.train().normalizationMode());
    assertEquals(Path.of("/data/art/weekly"), c.experimentArtifacts());
  }
}
