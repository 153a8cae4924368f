package io.cxr.core.data;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.cxr.core.FuzzContract;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Coverage-guided fuzzing of the .npy reader ({@code scripts/fuzz.sh}; seeds in resources). */
class NpyFuzzTest {
  @FuzzTest(maxDuration = "10s")
  @DictionaryEntries({
    "\u0093NUMPY",
    "{'descr': '",
    "'fortran_order': False",
    "'shape': (",
    "<f4",
    "|u1",
    ">i8",
    "<f8",
    "|b1"
  })
  void readsAnyBytesOrRefusesWithOneLine(byte[] input) {
    FuzzContract.refusesCleanly(
        "x.npy",
        () -> {
          try {
            Npy.read(new ByteArrayInputStream(input), "x.npy");
          } catch (IOException e) {
            // a byte array never fails to read: any IOException is the reader's own
            throw new UncheckedIOException(e);
          }
        });
  }
}
