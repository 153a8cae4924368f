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
    // both ways of reading (stream of unknown length; known length, decoded in chunks) must keep
    // the contract, and where both read an array it must be the same
    Npy.Array[] read = new Npy.Array[2];
    for (int k = 0; k < 2; k++) {
      int way = k;
      FuzzContract.refusesCleanly(
          "x.npy",
          () -> {
            try {
              read[way] =
                  way == 0
                      ? Npy.read(new ByteArrayInputStream(input), "x.npy")
                      : Npy.read(new ByteArrayInputStream(input), "x.npy", input.length);
            } catch (IOException e) {
              // a byte array never fails to read: any IOException is the reader's own
              throw new UncheckedIOException(e);
            }
          });
    }
    if (read[0] != null
        && read[1] != null
        && !(java.util.Arrays.equals(read[0].shape(), read[1].shape())
            && java.util.Arrays.equals(read[0].data(), read[1].data()))) {
      throw new AssertionError("the two ways read different arrays: " + read[0] + " " + read[1]);
    }
  }
}
