package io.cxr.core.config;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.cxr.core.FuzzContract;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Coverage-guided fuzzing of the config loader: a YAML file and up to two command-line overrides,
 * any of which may be hostile. The result is a validated config or a one-line refusal.
 */
class ConfigLoaderFuzzTest {
  static {
    // load (and instrument) Jackson and SnakeYAML before the first input's timeout clock starts
    ConfigLoader.load(null, List.of());
  }

  @FuzzTest(maxDuration = "10s")
  @DictionaryEntries({
    "data:",
    "model:",
    "train:",
    "epochs: ",
    "image_size: ",
    "folder_image_size: ",
    "filters: [",
    "learning_rate: ",
    "&a ",
    "*a",
    "!!binary ",
    "<<: ",
    "train.epochs=",
    "model.type=",
    "hpo.trials=",
    ".nan",
    "1e400"
  })
  void loadsAnyYamlOrRefusesWithOneLine(FuzzedDataProvider in) {
    List<String> overrides = new ArrayList<>();
    int n = in.consumeInt(0, 2);
    for (int i = 0; i < n; i++) {
      overrides.add(in.consumeString(60));
    }
    byte[] yaml = in.consumeRemainingAsString().getBytes(StandardCharsets.UTF_8);
    var file = FuzzContract.scratch("fuzz.yaml", yaml);
    // a refusal names the file, or the override it blames
    FuzzContract.refusesCleanly(
        () -> ConfigLoader.load(file, overrides), "fuzz.yaml", "override '");
  }
}
