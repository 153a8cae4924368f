package org.nd4j.nativeblas;

import java.lang.reflect.Method;

/**
 * Works around a class move between ND4J and DL4J 1.0.0-M2.1: DL4J's {@code BaseMKLDNNHelper}
 * decides whether its oneDNN (MKL-DNN) layer helpers may run by calling {@code
 * org.nd4j.nativeblas.Nd4jCpu$Environment.getInstance().isUseMKLDNN()}, but ND4J M2.1 ships that
 * class as {@code org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment}, its method as {@code
 * isUseONEDNN()}. The lookup fails, DL4J concludes "no oneDNN", and every convolution, batch-norm
 * and pooling layer falls back to its slow Java im2col path. This class answers the old name by
 * asking the new one (reflectively, so the CUDA build, which has neither, compiles and never loads
 * it).
 */
public final class Nd4jCpu {
  private Nd4jCpu() {}

  /** The part of the environment DL4J's helper check reads. */
  public static final class Environment {
    private static final Environment INSTANCE = new Environment();
    private final Object delegate;
    private final Method isUseMkldnn;

    private Environment() {
      Object d = null;
      Method m = null;
      try {
        Class<?> c = Class.forName("org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment");
        d = c.getMethod("getInstance").invoke(null);
        m = c.getMethod("isUseONEDNN");
      } catch (ReflectiveOperationException | LinkageError e) {
        // not the CPU backend: helpers stay off
      }
      delegate = d;
      isUseMkldnn = m;
    }

    public static Environment getInstance() {
      return INSTANCE;
    }

    /** Whether libnd4j may use its oneDNN platform kernels (its own switch, on by default). */
    public boolean isUseMKLDNN() {
      if (delegate == null) {
        return false;
      }
      try {
        return (Boolean) isUseMkldnn.invoke(delegate);
      } catch (ReflectiveOperationException e) {
        return false;
      }
    }
  }
}
