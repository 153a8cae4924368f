package io.cxr.core.model;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.ptr.IntByReference;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Whether the CUDA build of cxr can run here, decided before ND4J starts (ND4J prints stack traces
 * of its own when a backend fails to load). The released nd4j-cuda-11.6 1.0.0-M2.1 needs the NVIDIA
 * driver ({@code libcuda.so.1}), the CUDA 11.6 runtime and cuDNN 8, and carries kernels up to sm_86
 * with no PTX: Pascal to Ada GPUs run it, Hopper (sm_90) and later cannot.
 */
public final class CudaCheck {
  /** The shared libraries the CUDA backend loads, in the order a user should fix them. */
  static final List<String> LIBRARIES =
      List.of(
          "libcuda.so.1",
          "libcudart.so.11.0",
          "libcublas.so.11",
          "libcusolver.so.11",
          "libcudnn.so.8");

  static final String NEEDS =
      "the CUDA build (-Pcuda) needs the CUDA 11.6 runtime and cuDNN 8 libraries "
          + "(libcudart.so.11.0, libcublas.so.11, libcusolver.so.11, libcudnn*.so.8) and a "
          + "Pascal to Ada GPU (sm_60 to sm_89; Hopper/sm_90 has no kernels); the default build "
          + "runs on the CPU";

  private CudaCheck() {}

  /** True in the CUDA build (ND4J's CUDA backend is on the class path). */
  public static boolean isCudaBuild() {
    try {
      Class.forName(
          "org.nd4j.linalg.jcublas.JCublasBackend", false, CudaCheck.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /**
   * A one-line reason why the CUDA build cannot run here, or null (always null on the CPU build).
   */
  public static String problem() {
    return isCudaBuild() ? problem(CudaCheck::loadable, CudaCheck::capabilities) : null;
  }

  /**
   * The reason for given probes.
   *
   * @param loadable whether a shared library can be opened
   * @param capabilities the compute capability {major, minor} of each visible GPU
   */
  static String problem(Predicate<String> loadable, Supplier<List<int[]>> capabilities) {
    List<String> missing = LIBRARIES.stream().filter(loadable.negate()).toList();
    if (missing.contains("libcuda.so.1")) {
      return "no NVIDIA driver (libcuda.so.1 cannot be loaded: no GPU, or a container started "
          + "without --gpus all and the NVIDIA Container Toolkit); "
          + NEEDS;
    }
    if (!missing.isEmpty()) {
      return "missing " + String.join(", ", missing) + " (not on the library path); " + NEEDS;
    }
    List<int[]> gpus = capabilities.get();
    if (gpus.isEmpty()) {
      return "the NVIDIA driver sees no GPU; " + NEEDS;
    }
    List<String> unsupported = new ArrayList<>();
    for (int[] cc : gpus) {
      if (cc[0] < 6 || cc[0] > 8) {
        unsupported.add("sm_" + cc[0] + cc[1]);
      }
    }
    if (unsupported.size() == gpus.size()) {
      return "no supported GPU (found " + String.join(", ", unsupported) + "); " + NEEDS;
    }
    return null;
  }

  private static boolean loadable(String name) {
    try {
      NativeLibrary.getInstance(name);
      return true;
    } catch (UnsatisfiedLinkError e) {
      return false;
    }
  }

  /** The CUDA driver API, only what the capability probe needs. */
  private interface Driver extends Library {
    int cuInit(int flags);

    int cuDeviceGetCount(IntByReference count);

    int cuDeviceGet(IntByReference device, int ordinal);

    int cuDeviceGetAttribute(IntByReference value, int attribute, int device);
  }

  private static final int MAJOR = 75; // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
  private static final int MINOR = 76; // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR

  private static List<int[]> capabilities() {
    List<int[]> out = new ArrayList<>();
    try {
      Driver cu = Native.load("libcuda.so.1", Driver.class);
      IntByReference n = new IntByReference();
      if (cu.cuInit(0) != 0 || cu.cuDeviceGetCount(n) != 0) {
        return out;
      }
      for (int i = 0; i < n.getValue(); i++) {
        IntByReference dev = new IntByReference();
        IntByReference major = new IntByReference();
        IntByReference minor = new IntByReference();
        if (cu.cuDeviceGet(dev, i) == 0
            && cu.cuDeviceGetAttribute(major, MAJOR, dev.getValue()) == 0
            && cu.cuDeviceGetAttribute(minor, MINOR, dev.getValue()) == 0) {
          out.add(new int[] {major.getValue(), minor.getValue()});
        }
      }
    } catch (UnsatisfiedLinkError e) {
      return out;
    }
    return out;
  }

  /**
   * A one-line explanation when the ND4J backend failed to start (found in {@code ex}'s causes),
   * else null.
   */
  public static String explain(Throwable ex) {
    for (Throwable t = ex; t != null; t = t.getCause()) {
      String m = String.valueOf(t.getMessage());
      boolean link =
          t instanceof LinkageError
              && (m.contains("nd4j")
                  || m.contains("cuda")
                  || m.contains("cudnn")
                  || m.contains("cublas")
                  || m.contains("cusolver")
                  || m.contains("jnind4j"));
      boolean noBackend =
          t.getClass().getName().contains("NoAvailableBackendException")
              || m.contains("NoAvailableBackendException")
              || m.contains("Could not initialize class org.nd4j");
      boolean noKernel = m.contains("no kernel image is available");
      if (link || noBackend || noKernel) {
        return "the ND4J backend cannot start ("
            + m.lines().findFirst().orElse(t.getClass().getSimpleName())
            + "). "
            + Character.toUpperCase(NEEDS.charAt(0))
            + NEEDS.substring(1);
      }
    }
    return null;
  }
}
