package io.cxr.core.data;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.cxr.core.FuzzContract;

/** Coverage-guided fuzzing of the MedMNIST .npz reader (a zip of .npy arrays). */
class NpzSourceFuzzTest {
  @FuzzTest(maxDuration = "10s")
  @DictionaryEntries({
    "train_images.npy",
    "train_labels.npy",
    "val_images.npy",
    "test_labels.npy",
    "\u0093NUMPY",
    "'shape': (",
    "PK\u0003\u0004"
  })
  void opensAnyFileOrRefusesWithOneLine(byte[] input) {
    var file = FuzzContract.scratch("fuzz.npz", input);
    FuzzContract.refusesCleanly("fuzz.npz", () -> NpzSource.open(file));
  }
}
