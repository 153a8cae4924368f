package io.cxr.core.config;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.CxrException;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every rule of the config validator at its boundaries: the last value inside is accepted, the
 * first outside is refused naming the key (PIT showed the rules were mostly untested).
 */
class ConfigValidatorTest {
  static Stream<String> accepted() {
    return Stream.of(
        "experiment.name=a.b_c-1",
        "data.image_size=16",
        "data.image_size=1024",
        "data.image_size=auto",
        "data.folder_image_size=16",
        "data.folder_image_size=1024",
        "data.crop=0",
        "data.crop=0.25",
        "data.val_fraction=0.01",
        "data.val_fraction=0.49",
        "data.test_fraction=0.01",
        "data.test_fraction=0.49",
        "data.min_split_images=0",
        "data.max_per_class=0",
        "data.workers=0",
        "data.decoder=auto",
        "data.decoder=turbojpeg",
        "data.decoder=opencv",
        "data.validation.min_class_fraction=0",
        "data.validation.min_class_fraction=0.49",
        "data.validation.cross_split_duplicates=drop",
        "data.validation.cross_split_duplicates=warn",
        "data.validation.cross_split_duplicates=error",
        "model.type=cnn",
        "model.type=dense",
        "model.cnn.filters=[1]",
        "model.cnn.head=grid",
        "model.cnn.head=gap",
        "model.cnn.head=flatten",
        "model.cnn.dense_units=1",
        "model.cnn.dropout=0",
        "model.cnn.dropout=0.99",
        "model.dense.hidden=[1]",
        "model.dense.dropout=0",
        "model.dense.dropout=0.99",
        "train.epochs=1",
        "train.batch_size=1",
        "train.optimizer=adam",
        "train.optimizer=sgd",
        "train.optimizer=rmsprop",
        "train.learning_rate=0.000000001",
        "train.learning_rate=9.99",
        "train.l2=0",
        "train.class_weights=balanced",
        "train.class_weights=none",
        "train.normalization=per_image",
        "train.normalization=none",
        "train.threshold=youden",
        "train.threshold=f1",
        "train.threshold=sensitivity",
        "train.target_sensitivity=0.01",
        "train.target_sensitivity=1",
        "train.threshold=fixed",
        "train.calibration=platt",
        "train.calibration=temperature",
        "train.calibration=none",
        "train.fixed_threshold=0.01",
        "train.fixed_threshold=0.99",
        "train.early_stopping.patience=1",
        "train.early_stopping.min_delta=0",
        "train.augment.max_shift=0",
        "train.augment.max_shift=0.49",
        "train.augment.max_rotation=0",
        "train.augment.max_rotation=45",
        "train.augment.max_zoom=0",
        "train.augment.max_zoom=0.49",
        "train.augment.gamma=0",
        "train.augment.gamma=0.99",
        "train.augment.contrast=0",
        "train.augment.contrast=0.99",
        "train.augment.noise=0",
        "train.augment.noise=0.5",
        "train.augment.sharpness=0",
        "train.augment.sharpness=2",
        "train.label_smoothing=0",
        "train.label_smoothing=0.49",
        "train.mixup=0",
        "train.mixup=10",
        "train.ensemble=1",
        "train.ensemble=10",
        "train.early_stopping.metric=auc",
        "train.early_stopping.metric=log_loss",
        "gate.min_test_f1=0",
        "gate.min_test_f1=1",
        "gate.min_test_accuracy=0",
        "gate.min_test_accuracy=1",
        "gate.max_train_test_f1_gap=0",
        "gate.max_train_test_f1_gap=1",
        "gate.min_test_auc=0",
        "gate.min_test_auc=1",
        "gate.min_test_specificity=0",
        "gate.min_test_specificity=1",
        "hpo.strategy=random",
        "hpo.strategy=grid",
        "hpo.strategy=genetic",
        "hpo.trials=1",
        "hpo.max_minutes=0",
        "hpo.parallel=1",
        "hpo.grid_points=2",
        "hpo.pruning.warmup_epochs=1",
        "hpo.pruning.min_trials=1",
        "registry.name=a",
        "registry.name=A.b_c-9",
        "registry.alias=a",
        "registry.alias=a_B-9",
        "registry.metric=test_f1",
        "download.dataset=pneumoniamnist",
        "download.dataset=kermany",
        "download.medmnist_size=28",
        "download.medmnist_size=64",
        "download.medmnist_size=128",
        "download.medmnist_size=224",
        "download.timeout_seconds=1",
        "download.retries=0",
        "data.external=[a]",
        "data.external=[a, b]",
        "train.normalization=equalize",
        "train.normalization=clahe",
        "train.threshold_on=val",
        "train.threshold_on=auto",
        "train.calibration_on=val",
        "train.calibration_on=auto",
        "train.early_stopping.on=val",
        "train.shift_margin=0",
        "train.shift_margin=1",
        "train.schedule=constant",
        "train.schedule=cosine",
        "train.augment.downscale=0",
        "train.augment.downscale=0.75",
        "train.augment.max_aspect=0",
        "train.augment.max_aspect=1",
        "hpo.objective=val");
  }

  static Stream<String> refused() {
    return Stream.of(
        "experiment.name=a b",
        "experiment.name=..",
        "experiment.name=.",
        "data.image_size=15",
        "data.image_size=1025",
        "data.image_size=abc",
        "data.folder_image_size=15",
        "data.folder_image_size=1025",
        "data.crop=-0.01",
        "data.crop=0.26",
        "data.val_fraction=0",
        "data.val_fraction=0.5",
        "data.test_fraction=0",
        "data.test_fraction=0.5",
        "data.min_split_images=-1",
        "data.max_per_class=-1",
        "data.workers=-1",
        "data.decoder=imagemagick",
        "data.validation.min_class_fraction=-0.01",
        "data.validation.min_class_fraction=0.5",
        "data.validation.cross_split_duplicates=ignore",
        "model.type=rnn",
        "model.cnn.filters=[]",
        "model.cnn.filters=[8, 0]",
        "model.cnn.head=avg",
        "model.cnn.dense_units=0",
        "model.cnn.dropout=-0.01",
        "model.cnn.dropout=1",
        "model.dense.hidden=[0]",
        "model.dense.dropout=-0.01",
        "model.dense.dropout=1",
        "train.epochs=0",
        "train.batch_size=0",
        "train.optimizer=adagrad",
        "train.learning_rate=0",
        "train.learning_rate=10",
        "train.l2=-0.000001",
        "train.class_weights=auto",
        "train.normalization=zscore",
        "train.threshold=max",
        "train.target_sensitivity=0",
        "train.target_sensitivity=1.01",
        "train.calibration=isotonic",
        "train.fixed_threshold=0",
        "train.fixed_threshold=1",
        "train.early_stopping.patience=0",
        "train.early_stopping.min_delta=-0.1",
        "train.augment.max_shift=-0.01",
        "train.augment.max_shift=0.5",
        "train.augment.max_rotation=-1",
        "train.augment.max_rotation=45.1",
        "train.augment.max_zoom=-0.01",
        "train.augment.max_zoom=0.5",
        "train.augment.gamma=-0.01",
        "train.augment.gamma=1",
        "train.augment.contrast=-0.01",
        "train.augment.contrast=1",
        "train.augment.noise=-0.01",
        "train.augment.noise=0.51",
        "train.augment.sharpness=-0.01",
        "train.augment.sharpness=2.01",
        "train.label_smoothing=-0.01",
        "train.label_smoothing=0.5",
        "train.mixup=-0.01",
        "train.mixup=10.01",
        "train.ensemble=0",
        "train.ensemble=11",
        "train.early_stopping.metric=loss",
        "gate.min_test_f1=-0.01",
        "gate.min_test_f1=1.01",
        "gate.min_test_accuracy=-0.01",
        "gate.min_test_accuracy=1.01",
        "gate.max_train_test_f1_gap=-0.01",
        "gate.max_train_test_f1_gap=1.01",
        "gate.min_test_auc=-0.01",
        "gate.min_test_auc=1.01",
        "gate.min_test_specificity=-0.01",
        "gate.min_test_specificity=1.01",
        "hpo.strategy=bayes",
        "hpo.trials=0",
        "hpo.max_minutes=-1",
        "hpo.parallel=0",
        "hpo.grid_points=1",
        "hpo.pruning.warmup_epochs=0",
        "hpo.pruning.min_trials=0",
        "registry.name=-x",
        "registry.name=a b",
        "registry.alias=1a",
        "registry.alias=a b",
        "registry.metric=Test_F1",
        "tracking.local_dir= ",
        "download.dataset=kaggle",
        "download.medmnist_size=32",
        "download.timeout_seconds=0",
        "download.retries=-1",
        "data.external=[a, a]",
        "data.external=[' ']",
        "train.threshold_on=test",
        "train.calibration_on=test",
        "train.early_stopping.on=test",
        "train.shift_margin=-0.01",
        "train.shift_margin=1.01",
        "train.schedule=step",
        "train.augment.downscale=-0.01",
        "train.augment.downscale=0.76",
        "train.augment.max_aspect=-0.01",
        "train.augment.max_aspect=1.01",
        "hpo.objective=best",
        // a choice on external data without an external set
        "train.threshold_on=external",
        "train.calibration_on=external",
        "train.early_stopping.on=external",
        "hpo.objective=external",
        "hpo.objective=worst");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("accepted")
  void theLastValueInsideEachRuleIsAccepted(String override) {
    CxrConfig c = assertDoesNotThrow(() -> ConfigLoader.load(null, List.of(override)));
    String key = override.substring(0, override.indexOf('='));
    String value = override.substring(override.indexOf('=') + 1);
    String bound = ConfigLoader.flatten(c).get(key);
    assertTrue(
        bound != null
            && (bound.equals(value)
                || Double.parseDouble(bound) == Double.parseDouble(value)
                || bound.replace(" ", "").equals(value.replace(" ", ""))),
        key + " bound as " + bound);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void theFirstValueOutsideEachRuleIsRefusedNamingTheKey(String override) {
    String key = override.substring(0, override.indexOf('='));
    CxrException e =
        assertThrows(CxrException.class, () -> ConfigLoader.load(null, List.of(override)));
    assertTrue(
        e.getMessage()
            .startsWith("override '" + override + "': config key '" + key + "': expected "),
        e.getMessage());
  }

  @Test
  void theMessageSaysWhatWasExpectedAndWhatCame() {
    CxrException e =
        assertThrows(CxrException.class, () -> ConfigLoader.load(null, List.of("train.epochs=0")));
    assertEquals(
        "override 'train.epochs=0': config key 'train.epochs': expected a positive integer, got '0'",
        e.getMessage());
  }

  @Test
  void choicesOnExternalDataAreAcceptedWithAnExternalSet() {
    CxrConfig c =
        assertDoesNotThrow(
            () ->
                ConfigLoader.load(
                    null,
                    List.of(
                        "data.external=[x]",
                        "train.threshold_on=external",
                        "train.calibration_on=external",
                        "train.early_stopping.on=external",
                        "hpo.objective=worst")));
    assertTrue(c.train().earlyStopping().onExternal());
    assertEquals(List.of("x"), c.data().external());
    CxrException bad =
        assertThrows(
            CxrException.class,
            () -> ConfigLoader.load(null, List.of("data.external=[x]", "hpo.objective=best")));
    assertTrue(bad.getMessage().contains("one of val, external, worst"), bad.getMessage());
    CxrConfig d = ConfigLoader.load(null, List.of());
    assertEquals(false, d.train().earlyStopping().onExternal());
    assertEquals(List.of(), d.data().external());
    // an ensemble's copy keeps every other train setting, the new ones included
    CxrConfig e =
        ConfigLoader.load(
                null,
                List.of(
                    "data.external=[x]",
                    "train.threshold_on=external",
                    "train.calibration_on=auto",
                    "train.shift_margin=0.2",
                    "train.schedule=cosine"))
            .withEnsemble(5);
    assertEquals(5, e.train().ensemble());
    assertEquals(FitOn.EXTERNAL, e.train().thresholdOn());
    assertEquals(FitOn.AUTO, e.train().calibrationOn());
    assertEquals(0.2, e.train().shiftMargin());
    assertEquals(Schedule.COSINE, e.train().schedule());
  }
}
