package io.cxr.core.model;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.cxr.core.FuzzContract;

/**
 * Coverage-guided fuzzing of the model-bundle reader: the card ({@code cxr-model.json} inside the
 * zip) and, when the card is sound, the network restore. Any file gives a bundle or a one-line
 * refusal.
 */
class ModelBundleFuzzTest {
  @FuzzTest(maxDuration = "10s")
  @DictionaryEntries({
    "cxr-model.json",
    "configuration.json",
    "coefficients.bin",
    "\"format\":",
    "cxr-model/1",
    "\"image_size\":",
    "PK\u0003\u0004",
    "PK\u0001\u0002",
    "PK\u0005\u0006"
  })
  void readsAnyModelFileOrRefusesWithOneLine(byte[] input) {
    var file = FuzzContract.scratch("fuzz-model.zip", input);
    FuzzContract.refusesCleanly(
        "fuzz-model.zip",
        () -> {
          ModelBundle.readCard(file);
          ModelBundle.load(file);
        });
  }
}
