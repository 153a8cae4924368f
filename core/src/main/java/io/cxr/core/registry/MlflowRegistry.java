package io.cxr.core.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.CxrException;
import io.cxr.core.tracking.MlflowRemote;
import io.cxr.core.tracking.ModelArtifact;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.mlflow.tracking.MlflowClientException;

/**
 * The MLflow server's Model Registry through raw REST calls (the Java client has no registry
 * writes): {@code registered-models/create}, {@code model-versions/create}, {@code
 * registered-models/alias}, {@code model-versions/set-tag}.
 */
public final class MlflowRegistry implements ModelRegistry {
  private final MlflowRemote remote;

  public MlflowRegistry(MlflowRemote remote) {
    this.remote = remote;
  }

  @Override
  public String describe() {
    return "MLflow registry at " + remote.display();
  }

  @Override
  public void ensureModel(String name) {
    // create and accept "already exists": a GET of a missing model is a 404, which the Java
    // client retries with back-off as if it were a rate limit
    try {
      remote.post("registered-models/create", Map.of("name", name));
    } catch (MlflowClientException e) {
      if (!String.valueOf(e.getMessage()).contains("RESOURCE_ALREADY_EXISTS")) {
        throw wrap(e);
      }
    }
  }

  @Override
  public Version createVersion(String name, String runId, Map<String, String> tags) {
    ensureModel(name);
    // the run's artifact location itself, not runs:/<id>/model: the server resolves a runs:/
    // source with its own tracking URI (./mlruns inside its container), and its model-version
    // pages then answered HTTP 500; mlflow-artifacts:/ locations it serves from its own store
    String source =
        remote.client().getRun(runId).getInfo().getArtifactUri() + "/" + ModelArtifact.DIR;
    JsonNode v =
        remote
            .post("model-versions/create", Map.of("name", name, "source", source, "run_id", runId))
            .path("model_version");
    String version = v.path("version").asText();
    setVersionTags(name, version, tags);
    return new Version(name, version, runId, source, tags);
  }

  @Override
  public Optional<Version> byAlias(String name, String alias) {
    return find("registered-models/alias?name=" + enc(name) + "&alias=" + enc(alias));
  }

  @Override
  public Optional<Version> version(String name, String version) {
    return find("model-versions/get?name=" + enc(name) + "&version=" + enc(version));
  }

  @Override
  public java.util.List<Version> versions(String name) {
    java.util.List<Version> out = new java.util.ArrayList<>();
    String token = "";
    do {
      JsonNode page =
          remote.get(
              "model-versions/search?max_results=1000&filter="
                  + enc("name='" + name.replace("'", "\\'") + "'")
                  + (token.isEmpty() ? "" : "&page_token=" + enc(token)));
      page.path("model_versions").forEach(v -> out.add(toVersion(v)));
      token = page.path("next_page_token").asText("");
    } while (!token.isEmpty());
    return out;
  }

  /** A GET answering {@code {"model_version": ...}}, empty when the server says not found. */
  private Optional<Version> find(String path) {
    try {
      return Optional.of(toVersion(remote.get(path).path("model_version")));
    } catch (MlflowClientException e) {
      if (notFound(e)) {
        return Optional.empty();
      }
      throw wrap(e);
    }
  }

  @Override
  public void setAlias(String name, String alias, String version) {
    remote.post(
        "registered-models/alias", Map.of("name", name, "alias", alias, "version", version));
  }

  @Override
  public void setVersionTags(String name, String version, Map<String, String> tags) {
    tags.forEach(
        (k, v) ->
            remote.post(
                "model-versions/set-tag",
                Map.of("name", name, "version", version, "key", k, "value", v)));
  }

  @Override
  public Path fetchModel(Version version, Path cacheDir) {
    String artifactUri = remote.client().getRun(version.runId()).getInfo().getArtifactUri();
    Path target = cacheDir.resolve(version.name() + "-v" + version.version() + ".zip");
    remote.downloadArtifact(artifactUri, "model/model.zip", target);
    return target;
  }

  @Override
  public Optional<Double> runMetric(String runId, String metric) {
    return remote.client().getRun(runId).getData().getMetricsList().stream()
        .filter(m -> m.getKey().equals(metric))
        .map(m -> m.getValue())
        .findFirst();
  }

  private static Version toVersion(JsonNode v) {
    Map<String, String> tags = new LinkedHashMap<>();
    v.path("tags").forEach(t -> tags.put(t.path("key").asText(), t.path("value").asText()));
    return new Version(
        v.path("name").asText(),
        v.path("version").asText(),
        v.path("run_id").asText(),
        v.path("source").asText(),
        tags);
  }

  private static boolean notFound(MlflowClientException e) {
    String m = String.valueOf(e.getMessage());
    // a missing alias is INVALID_PARAMETER_VALUE "... not found" on MLflow 2.x servers
    return m.contains("RESOURCE_DOES_NOT_EXIST")
        || m.contains("statusCode=404")
        || m.contains("not found");
  }

  private CxrException wrap(RuntimeException e) {
    return new CxrException(
        "registry at "
            + remote.display()
            + ": "
            + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
