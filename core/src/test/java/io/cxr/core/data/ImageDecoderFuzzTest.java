package io.cxr.core.data;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.cxr.core.FuzzContract;

/**
 * Coverage-guided fuzzing of the image decoder (TurboJPEG, then OpenCV's imdecode): any bytes give
 * a 64x64 image with values in [0, 1] or a one-line refusal; no crash, hang or huge allocation (a
 * header may declare any size). The native decoders are not instrumented: the fuzzer is guided by
 * cxr's own header parsing and exercises the native code through it.
 */
class ImageDecoderFuzzTest {
  @FuzzTest(maxDuration = "10s")
  void decodesAnyBytesOrRefusesWithOneLine(byte[] input) {
    FuzzContract.refusesCleanly(
        "fuzz.jpg",
        () -> {
          float[] px = ImageDecoder.decode(input, 64, "fuzz.jpg");
          for (float v : px) {
            assertTrue(v >= 0f && v <= 1f, "pixel " + v + " outside [0, 1]");
          }
        });
  }
}
