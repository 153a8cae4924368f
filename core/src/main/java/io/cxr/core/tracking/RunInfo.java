package io.cxr.core.tracking;

import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.CxrException;
import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.io.Json;
import io.cxr.core.model.BundleFiles;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/** What every cxr run records: params from the resolved config, standard tags, run.json. */
public final class RunInfo {
  public static final String RUN_FILE = BundleFiles.RUN;

  private RunInfo() {}

  /** The resolved config as flat params; URIs lose any user:password. */
  public static Map<String, String> params(CxrConfig cfg) {
    Map<String, String> p = new LinkedHashMap<>(ConfigLoader.flatten(cfg));
    p.replaceAll((k, v) -> k.endsWith("uri") || k.endsWith("api") ? MlflowRemote.redact(v) : v);
    p.replaceAll((k, v) -> v.length() > 6000 ? v.substring(0, 6000) : v);
    return p;
  }

  public static Map<String, String> tags(String command, String modelType, String manifestSha256) {
    Map<String, String> prov = Provenance.collect(manifestSha256);
    Map<String, String> t = new LinkedHashMap<>();
    t.put("cxr.command", command);
    t.put("mlflow.source.git.commit", prov.get("git_commit"));
    t.put("git_commit", prov.get("git_commit"));
    t.put("data_manifest_sha256", String.valueOf(manifestSha256));
    t.put("nd4j_backend", prov.get("nd4j_backend"));
    t.put("dl4j_version", prov.get("dl4j_version"));
    t.put("cxr_version", prov.get("cxr_version"));
    if (modelType != null) {
      t.put("model_type", modelType);
    }
    t.put("host", host());
    return t;
  }

  public static String runName(CxrConfig cfg, String command, String modelType) {
    if (!cfg.tracking().runName().isBlank()) {
      return cfg.tracking().runName();
    }
    return command
        + (modelType == null ? "" : "-" + modelType)
        + "-"
        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
  }

  /** Writes {@code run.json} beside a model: which run produced it. */
  public static void write(Path dir, TrackedRun run, String tracker) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("experiment_id", run.experimentId());
    m.put("run_id", run.runId());
    m.put("remote_run_id", run.remoteRunId());
    m.put("tracker", tracker);
    Json.writeJson(dir.resolve(RUN_FILE), m);
  }

  /** Reads {@code run.json}, or null when absent. */
  public static JsonNode read(Path dir) {
    Path f = dir.resolve(RUN_FILE);
    if (!Files.isRegularFile(f)) {
      return null;
    }
    try {
      return Json.JSON.readTree(f.toFile());
    } catch (IOException e) {
      throw new CxrException(f + ": not valid JSON");
    }
  }

  private static String host() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
