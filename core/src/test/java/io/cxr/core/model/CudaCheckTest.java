package io.cxr.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CudaCheckTest {
  private static final Set<String> ALL = Set.copyOf(CudaCheck.LIBRARIES);

  @Test
  void theCpuBuildHasNoCudaProblem() {
    assertFalse(CudaCheck.isCudaBuild());
    assertNull(CudaCheck.problem());
  }

  @Test
  void noDriverIsNamedFirstWithTheDockerHint() {
    String m = CudaCheck.problem(lib -> false, List::of);
    assertTrue(m.startsWith("no NVIDIA driver (libcuda.so.1"), m);
    assertTrue(m.contains("--gpus all"), m);
    assertFalse(m.contains("\n"), m);
  }

  @Test
  void missingRuntimeLibrariesAreListedByName() {
    String m =
        CudaCheck.problem(
            lib -> !lib.equals("libcudnn.so.8") && !lib.equals("libcublas.so.11"),
            () -> List.of(new int[] {8, 6}));
    assertTrue(m.startsWith("missing libcublas.so.11, libcudnn.so.8 "), m);
  }

  @Test
  void hopperAloneIsRefusedAndNamed() {
    String m = CudaCheck.problem(ALL::contains, () -> List.of(new int[] {9, 0}));
    assertTrue(m.startsWith("no supported GPU (found sm_90)"), m);
  }

  @Test
  void pascalToAdaRun() {
    for (int[] cc : new int[][] {{6, 0}, {7, 5}, {8, 6}, {8, 9}}) {
      assertNull(CudaCheck.problem(ALL::contains, () -> List.of(cc)), cc[0] + "." + cc[1]);
    }
    // one supported GPU among unsupported ones is enough
    assertNull(CudaCheck.problem(ALL::contains, () -> List.of(new int[] {9, 0}, new int[] {8, 0})));
    assertEquals(
        "the NVIDIA driver sees no GPU", CudaCheck.problem(ALL::contains, List::of).split(";")[0]);
  }

  @Test
  void aBackendLinkErrorIsExplainedInOneLine() {
    String m =
        CudaCheck.explain(
            new RuntimeException(
                new UnsatisfiedLinkError("libjnicudart.so: libcuda.so.1: cannot open\nmore")));
    assertTrue(m.startsWith("the ND4J backend cannot start (libjnicudart.so"), m);
    assertTrue(m.contains("The CUDA build (-Pcuda) needs"), m);
    assertFalse(m.contains("\n"), m);
    assertNull(CudaCheck.explain(new IllegalStateException("unrelated")));
  }
}
