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
    assertEquals(ModelType.DENSE, c.model().type());
    assertEquals(Normalization.NONE, c.train().normalization());
    assertEquals(Path.of("/data/art/weekly"), c.experimentArtifacts());
  }

  private static final List<Class<? extends Enum<?>>> CHOICES =
      List.of(
          CalibrationMethod.class,
          ClassWeights.class,
          CnnHead.class,
          DecoderChoice.class,
          DownloadDataset.class,
          DuplicatePolicy.class,
          FitOn.class,
          ModelType.class,
          Normalization.class,
          Objective.class,
          OptimizerChoice.class,
          Schedule.class,
          SearchStrategy.class,
          StopOn.class,
          StoppingMetric.class,
          ThresholdRule.class);

  @Test
  void everyChoiceRoundTripsThroughItsYamlNameAndTheWrittenConfig() throws Exception {
    for (Class<? extends Enum<?>> type : CHOICES) {
      for (Enum<?> e : type.getEnumConstants()) {
        String key = e.toString();
        assertEquals(e.name().toLowerCase(java.util.Locale.ROOT), key, type.getSimpleName());
        assertEquals(e, type.getMethod("of", String.class).invoke(null, key));
      }
    }
    // the written config (model cards, config.yaml) keeps the YAML names and binds back equal
    CxrConfig c = ConfigLoader.load(null, List.of("train.early_stopping.metric=log_loss"));
    String yaml = ConfigLoader.toYaml(c);
    org.junit.jupiter.api.Assertions.assertTrue(
        yaml.contains("metric: log_loss") && !yaml.contains("LOG_LOSS"), yaml);
    assertEquals(c, ConfigLoader.bind(io.cxr.core.io.Json.YAML.readTree(yaml), "written"));
  }

  @Test
  void aValueThatIsNoChoiceNamesTheKeyAndTheChoicesOnOneLine() {
    var e =
        org.junit.jupiter.api.Assertions.assertThrows(
            io.cxr.core.CxrException.class,
            () -> ConfigLoader.load(null, List.of("train.schedule=Cosine")));
    assertEquals(
        "override 'train.schedule=Cosine': config key 'train.schedule': expected one of"
            + " constant, cosine, got 'Cosine'",
        e.getMessage());
  }

  @Test
  void anObjectiveScoresValExternalOrTheWorseAndNamesItsMetric() {
    assertEquals(0.9, Objective.VAL.pick(0.9, 0.8));
    assertEquals(0.8, Objective.EXTERNAL.pick(0.9, 0.8));
    assertEquals(0.8, Objective.WORST.pick(0.9, 0.8));
    assertEquals(0.7, Objective.WORST.pick(0.7, 0.8));
    // a NaN (diverged epoch, no external sets) is the worst score
    assertEquals(0.0, Objective.VAL.pick(Double.NaN, 0.8));
    assertEquals(0.0, Objective.EXTERNAL.pick(0.9, Double.NaN));
    assertEquals(0.0, Objective.WORST.pick(0.9, Double.NaN));
    assertEquals("val_auc", Objective.VAL.metric());
    assertEquals("external_auc", Objective.EXTERNAL.metric());
    assertEquals("worst_auc", Objective.WORST.metric());
  }

  @Test
  void withersChangeOneThingAndKeepTheRest() {
    CxrConfig c = ConfigLoader.load(null, List.of("train.early_stopping.min_delta=0.01"));
    CxrConfig r = c.withTrain(c.train().withEpochs(3, 4)).withModelsDir("models/refit");
    assertEquals(3, r.train().epochs());
    assertEquals(4, r.train().earlyStopping().patience());
    assertEquals(0.01, r.train().earlyStopping().minDelta());
    assertEquals(c.train().earlyStopping().metric(), r.train().earlyStopping().metric());
    assertEquals("models/refit", r.paths().models());
    assertEquals(c.paths().prepared(), r.paths().prepared());
    assertEquals(c.withEnsemble(1).train().withEpochs(3, 4), r.withEnsemble(1).train());
    assertEquals(c.data(), r.data());
  }
}
