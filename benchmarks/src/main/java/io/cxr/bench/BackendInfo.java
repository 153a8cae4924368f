package io.cxr.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What the training benchmark really runs on: the native library file loaded, ND4J's environment
 * and, per layer, the helper DL4J picked (a oneDNN/MKL-DNN helper class, or none = ND4J's own
 * kernels).
 */
final class BackendInfo {
  private BackendInfo() {}

  static String describe(MultiLayerNetwork net) {
    List<String> layers = new ArrayList<>();
    for (Layer l : net.getLayers()) {
      String helper = "none";
      try {
        Object h = l.getClass().getMethod("getHelper").invoke(l);
        helper = h == null ? "none" : h.getClass().getSimpleName();
      } catch (ReflectiveOperationException e) {
        helper = "n/a";
      }
      layers.add(l.getClass().getSimpleName() + "=" + helper);
    }
    return "ND4J native: "
        + nativeLibrary()
        + "\nND4J environment: "
        + Nd4j.getExecutioner().getEnvironmentInformation()
        + "\nhelpers allowed: "
        + Nd4j.getEnvironment().helpersAllowed()
        + "; layer helpers: "
        + String.join(", ", layers);
  }

  /** The libnd4jcpu/libnd4jcuda file mapped into this process. */
  static String nativeLibrary() {
    try {
      return Files.readAllLines(Path.of("/proc/self/maps")).stream()
          .filter(l -> l.contains("libnd4j"))
          .map(l -> l.substring(l.indexOf('/')))
          .distinct()
          .findFirst()
          .orElse("unknown");
    } catch (IOException | RuntimeException e) {
      return "unknown (" + e.getMessage() + ")";
    }
  }
}
