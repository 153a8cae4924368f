package io.cxr.core.tracking;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.factory.Nd4j;

/** Where a result came from: code commit, library and backend versions, host. */
public final class Provenance {
  public static final String DL4J_VERSION = "1.0.0-M2.1";

  private Provenance() {}

  public static Map<String, String> collect(String manifestSha256) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("cxr_version", version());
    p.put("git_commit", gitCommit());
    p.put("data_manifest_sha256", manifestSha256);
    p.put("dl4j_version", DL4J_VERSION);
    p.put("nd4j_backend", backend());
    p.put("java_version", System.getProperty("java.version"));
    p.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    p.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
    return p;
  }

  /**
   * cxr's version: the jar manifest's, else the {@code pom.properties} Maven packs into every jar
   * (the shaded jar and the image carry it; runs they made were tagged "dev"), else "dev" (classes
   * run from a build folder).
   */
  public static String version() {
    String v = Provenance.class.getPackage().getImplementationVersion();
    if (v != null) {
      return v;
    }
    try (java.io.InputStream in =
        Provenance.class.getResourceAsStream("/META-INF/maven/io.cxr/cxr-core/pom.properties")) {
      if (in != null) {
        java.util.Properties p = new java.util.Properties();
        p.load(in);
        return p.getProperty("version", "dev");
      }
    } catch (java.io.IOException e) {
      // unreadable: as if absent
    }
    return "dev";
  }

  public static String backend() {
    try {
      return Nd4j.getBackend().getClass().getSimpleName();
    } catch (RuntimeException | LinkageError e) {
      return "unavailable";
    }
  }

  /** The commit of the working directory's git checkout, CXR_GIT_COMMIT, or "unknown". */
  public static String gitCommit() {
    String env = System.getenv("CXR_GIT_COMMIT");
    if (env != null && !env.isBlank()) {
      return env.trim();
    }
    try {
      Process p = new ProcessBuilder("git", "rev-parse", "HEAD").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0 && out.matches("[0-9a-f]{40}")) {
        return out;
      }
    } catch (IOException e) {
      return "unknown";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return "unknown";
  }
}
