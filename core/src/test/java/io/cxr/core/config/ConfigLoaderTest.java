package io.cxr.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.CxrException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigLoaderTest {
  @Test
  void withSeedAndWithEnsembleChangeOnlyTheirOwnKey() {
    CxrConfig base = ConfigLoader.load(null, List.of("train.epochs=3"));
    assertEquals(ConfigLoader.load(null, List.of("train.epochs=3", "seed=7")), base.withSeed(7));
    assertEquals(
        ConfigLoader.load(null, List.of("train.epochs=3", "train.ensemble=4")),
        base.withEnsemble(4));
    assertEquals(3, base.train().ensemble(), "the default is an ensemble of three");
    assertFalse(base.train().earlyStopping().onLogLoss(), "the default stops on AUC");
    assertTrue(
        ConfigLoader.load(null, List.of("train.early_stopping.metric=log_loss"))
            .train()
            .earlyStopping()
            .onLogLoss());
  }

  @Test
  void defaultsMatchTheProjectConfigFile() throws Exception {
    CxrConfig cfg = ConfigLoader.load(null, List.of());
    assertEquals(42, cfg.seed());
    assertEquals(ModelType.CNN, cfg.model().type());
    assertEquals("auto", cfg.data().imageSize());
    assertEquals(0.80, cfg.gate().minTestF1());
    assertEquals(0.70, cfg.gate().minTestSpecificity());
    // the bundled defaults are conf/config.yaml itself
    Path project = Path.of("..", "conf", "config.yaml");
    assertEquals(
        Files.readString(project),
        new String(
            ConfigLoader.class.getResourceAsStream(ConfigLoader.DEFAULTS_RESOURCE).readAllBytes()));
  }

  @Test
  void overridesApplyWithTypes() {
    CxrConfig cfg =
        ConfigLoader.load(
            null,
            List.of(
                "train.epochs=3",
                "model.cnn.filters=[8, 16]",
                "data.image_size=32",
                "train.augment.enabled=false",
                "experiment.name=x1"));
    assertEquals(3, cfg.train().epochs());
    assertEquals(List.of(8, 16), cfg.model().cnn().filters());
    assertEquals(32, cfg.data().explicitImageSize());
    assertFalse(cfg.train().augment().enabled());
  }

  @Test
  void unknownKeyNamesTheKey() {
    CxrException e =
        assertThrows(CxrException.class, () -> ConfigLoader.load(null, List.of("train.epocs=3")));
    assertTrue(e.getMessage().contains("train.epocs"), e.getMessage());
    assertTrue(e.getMessage().contains("train.epochs"), "suggests known keys: " + e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }

  @Test
  void unknownKeyInFileNamesFileAndKey(@TempDir Path tmp) throws Exception {
    Path f = tmp.resolve("c.yaml");
    Files.writeString(f, "train:\n  epochs: 2\n  bogus: 1\n");
    CxrException e = assertThrows(CxrException.class, () -> ConfigLoader.load(f, List.of()));
    assertTrue(
        e.getMessage().contains("train.bogus") && e.getMessage().contains(f.toString()),
        e.getMessage());
  }

  @Test
  void partialFileKeepsOtherDefaults(@TempDir Path tmp) throws Exception {
    Path f = tmp.resolve("c.yaml");
    Files.writeString(f, "train:\n  epochs: 2\n");
    CxrConfig cfg = ConfigLoader.load(f, List.of("train.batch_size=16"));
    assertEquals(2, cfg.train().epochs());
    assertEquals(16, cfg.train().batchSize());
    assertEquals(0.001, cfg.train().learningRate());
  }

  @Test
  void wrongTypeNamesKeyAndExpectation() {
    CxrException e =
        assertThrows(
            CxrException.class, () -> ConfigLoader.load(null, List.of("train.epochs=many")));
    assertTrue(e.getMessage().contains("train.epochs"), e.getMessage());
    assertTrue(e.getMessage().contains("integer"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "1", "15", "1025"})
  void aFolderImageSizeOutside16To1024IsRejected(String size) {
    CxrException e =
        assertThrows(
            CxrException.class,
            () -> ConfigLoader.load(null, List.of("data.folder_image_size=" + size)));
    assertTrue(e.getMessage().contains("data.folder_image_size"), e.getMessage());
    assertTrue(e.getMessage().contains("16..1024"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "1", "15", "-28", "big", "1025"})
  void badImageSizeIsRejected(String size) {
    CxrException e =
        assertThrows(
            CxrException.class, () -> ConfigLoader.load(null, List.of("data.image_size=" + size)));
    assertTrue(
        e.getMessage()
            .startsWith("override 'data.image_size=" + size + "': config key 'data.image_size'"),
        e.getMessage());
    assertTrue(e.getMessage().contains(size), e.getMessage());
  }

  @Test
  void badEnumValueListsChoices() {
    CxrException e =
        assertThrows(
            CxrException.class, () -> ConfigLoader.load(null, List.of("model.type=resnet")));
    assertTrue(
        e.getMessage().contains("cnn, dense") && e.getMessage().contains("resnet"), e.getMessage());
  }

  @Test
  void resolvedYamlRoundTrips() throws Exception {
    CxrConfig cfg = ConfigLoader.load(null, List.of("train.epochs=7"));
    String yaml = ConfigLoader.toYaml(cfg);
    CxrConfig back = ConfigLoader.bind(io.cxr.core.io.Json.YAML.readTree(yaml), "round trip");
    assertEquals(cfg, back);
    assertEquals("7", ConfigLoader.flatten(cfg).get("train.epochs"));
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource(
      delimiter = '|',
      value = {
        "train.epochs=abc|expected an integer, got 'abc'",
        "train.learning_rate=x|expected a number, got 'x'",
        "train.augment.enabled=maybe|expected true or false, got 'maybe'",
        "model.cnn.filters=[8, x]|expected a list of integers such as [16,32,64], got 'x'",
        "model.cnn.filters=abc|expected a list of integers such as [16,32,64], got a string",
        "model.cnn.filters=[[1]]|expected a list of integers such as [16,32,64], got a list",
        "train.epochs=~|expected an integer, got none",
        "train.epochs={a: 1}|expected an integer, got a mapping",
        "experiment.name=null|expected a string, got none",
        "experiment.name=[a, b]|expected a string, got a list",
        "model.type=resnet|expected one of cnn, dense, got 'resnet'",
        "train.normalization=zzz|expected one of per_image, none, equalize, clahe, got 'zzz'",
        "tracking.local_dir=|expected a folder, got ''",
        "hpo.space.cnn=[{key: train.l2, type: uniform, low: x, high: 1}]|expected a number, got 'x'",
        "hpo.space.cnn=[{key: train.l2, kind: uniform}]|unknown field 'kind' (expected key, type,"
            + " low, high, values)"
      })
  void aWrongTypeOnTheCommandLineBlamesTheOverrideAndSaysWhatWasExpected(
      String override, String expected) {
    CxrException e =
        assertThrows(CxrException.class, () -> ConfigLoader.load(null, List.of(override)));
    assertTrue(
        e.getMessage().startsWith("override '" + override + "': config key '"), e.getMessage());
    assertTrue(e.getMessage().endsWith(expected), e.getMessage());
    assertFalse(e.getMessage().contains("Coercion"), e.getMessage());
    assertFalse(e.getMessage().contains("config.yaml"), e.getMessage());
  }

  @Test
  void aDuplicateYamlKeyIsAnErrorWithItsLine(@org.junit.jupiter.api.io.TempDir Path tmp)
      throws Exception {
    Path f =
        java.nio.file.Files.writeString(
            tmp.resolve("c.yaml"), "train:\n  epochs: 3\n  epochs: 4\n");
    CxrException e = assertThrows(CxrException.class, () -> ConfigLoader.load(f, List.of()));
    assertEquals(
        "config file "
            + f
            + " at line 3, column 11: duplicate key 'epochs' (each key may appear once)",
        e.getMessage());
  }

  @Test
  void aYamlSyntaxErrorNamesItsLine(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
    Path f = java.nio.file.Files.writeString(tmp.resolve("c.yaml"), "train:\n  epochs: [3\n");
    CxrException e = assertThrows(CxrException.class, () -> ConfigLoader.load(f, List.of()));
    assertTrue(
        e.getMessage().startsWith("config file " + f + ": not valid YAML at line 2"),
        e.getMessage());
  }

  @Test
  void aTextKeyKeepsAnOverrideAsTypedEvenWhenYamlWouldReadANumberOrABoolean() {
    assertEquals(
        "007", ConfigLoader.load(null, List.of("experiment.name=007")).experiment().name());
    assertEquals(
        "true", ConfigLoader.load(null, List.of("experiment.name=true")).experiment().name());
    assertEquals(
        7, ConfigLoader.load(null, List.of("train.epochs=007")).train().epochs(), "numbers stay");
  }

  @Test
  void anOverrideWithoutAKeyOrAtTheTopLevelSaysWhatIsKnownThere() {
    assertEquals(
        "override '=5': expected section.key=value",
        assertThrows(CxrException.class, () -> ConfigLoader.load(null, List.of("=5")))
            .getMessage());
    assertEquals(
        "override 'bogus=1': unknown config key 'bogus' (no 'bogus' in the top level; known: seed,"
            + " experiment, paths, data, model, train, gate, hpo, tracking, registry, download)",
        assertThrows(CxrException.class, () -> ConfigLoader.load(null, List.of("bogus=1")))
            .getMessage());
  }

  @Test
  void aBadValueInAFileIsAttributedToTheFileOnce(@org.junit.jupiter.api.io.TempDir Path tmp)
      throws Exception {
    Path f = java.nio.file.Files.writeString(tmp.resolve("c.yaml"), "train:\n  epochs: 0\n");
    assertEquals(
        "config file " + f + ": config key 'train.epochs': expected a positive integer, got '0'",
        assertThrows(CxrException.class, () -> ConfigLoader.load(f, List.of())).getMessage());
  }

  @Test
  void credentialsInTheTrackingUriAreTakenOutOfTheConfigAndItsMessages() {
    CxrConfig c =
        ConfigLoader.load(
            null, List.of("tracking.uri=http://alice:s3cr%40t@127.0.0.1:5999/mlflow"));
    assertEquals("http://127.0.0.1:5999/mlflow", c.tracking().uri());
    assertFalse(ConfigLoader.toYaml(c).contains("s3cr"), "not in config.yaml or a model card");
    assertFalse(ConfigLoader.flatten(c).toString().contains("alice"), "not in run params");
    assertEquals(
        java.util.Optional.of("alice:s3cr%40t"), UriCredentials.userInfo(c.tracking().uri()));
    // a config derived from it (a search trial's) keeps the stripped URI
    assertEquals(
        c.tracking().uri(), ConfigLoader.with(c, List.of("train.epochs=2")).tracking().uri());
    // a refused value that echoes the override does not echo the password
    CxrException e =
        assertThrows(
            CxrException.class,
            () -> ConfigLoader.load(null, List.of("tracking.uri=[http://bob:hunter2@h:1]")));
    assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    assertTrue(e.getMessage().contains("http://h:1"), e.getMessage());
    // a URI without user info stays as given
    assertEquals(
        "http://127.0.0.1:5000",
        ConfigLoader.load(null, List.of("tracking.uri=http://127.0.0.1:5000")).tracking().uri());
    assertEquals(
        "see http://h:1/x and https://h2",
        UriCredentials.redact("see http://u:p@h:1/x and https://t@h2"));
  }

  @Test
  void aConfigFileLargerThanAnyConfigIsRefusedUnread(@TempDir Path dir) throws Exception {
    Path big = dir.resolve("big.yaml");
    Files.writeString(big, "train:\n  epochs: 3\n" + "#".repeat((int) ConfigLoader.MAX_FILE_BYTES));
    CxrException e = assertThrows(CxrException.class, () -> ConfigLoader.load(big, List.of()));
    assertEquals(
        "config file "
            + big
            + ": "
            + Files.size(big)
            + " bytes (expected a YAML config of at most 1024 KiB)",
        e.getMessage());
    Path ok = dir.resolve("ok.yaml");
    String head = "train:\n  epochs: 3\n";
    Files.writeString(ok, head + "#".repeat((int) ConfigLoader.MAX_FILE_BYTES - head.length()));
    assertEquals(ConfigLoader.MAX_FILE_BYTES, Files.size(ok), "exactly the limit is read");
    assertEquals(3, ConfigLoader.load(ok, List.of()).train().epochs());
  }
}
