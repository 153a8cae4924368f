package io.cxr.core.model;

import org.nd4j.linalg.factory.Nd4j;

/**
 * Switches DL4J's layer helpers on before any network is built or restored. DL4J 1.0.0-M2.1 creates
 * its oneDNN (MKL-DNN) helpers for convolution, batch-norm and pooling only when the system
 * property {@value #HELPERS_DISABLE} is "false" (its default is "true"), and only with ND4J's
 * {@code linux-x86_64-onednn} build (cxr's default CPU backend) do those helpers reach oneDNN's
 * kernels: 3.5-3.8x the training speed of DL4J's built-in im2col path on the benchmarks. DL4J's
 * helper check also needs {@code org.nd4j.nativeblas.Nd4jCpu} (a shim in this module). {@code
 * -Dorg.eclipse.deeplearning4j.helpers.disable=true} turns them off again.
 */
public final class Backend {
  public static final String HELPERS_DISABLE = "org.eclipse.deeplearning4j.helpers.disable";

  private Backend() {}

  /**
   * Enables the helpers on the CPU backend unless the user decided otherwise; idempotent. (On CUDA
   * the cuDNN helpers live in deeplearning4j-cuda, which cxr does not ship: they stay off.)
   */
  public static void useHelpers() {
    if (System.getProperty(HELPERS_DISABLE) == null
        && "CPU"
            .equalsIgnoreCase(
                Nd4j.getExecutioner().getEnvironmentInformation().getProperty("backend"))) {
      System.setProperty(HELPERS_DISABLE, "false");
    }
  }
}
