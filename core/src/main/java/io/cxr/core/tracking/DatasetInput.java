package io.cxr.core.tracking;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A dataset a run used, as MLflow records run inputs ({@code runs/log-inputs}; the "Datasets"
 * column of the UI): a name, a short digest (MLflow's stores keep at most 36 characters), where it
 * came from ({@code sourceType} and a JSON {@code source}), a JSON {@code schema} and {@code
 * profile}, and the {@code context} it was used in ({@code training}, {@code validation}, {@code
 * test}, ...; the tag {@code mlflow.data.context}).
 */
public record DatasetInput(
    String name,
    String digest,
    String sourceType,
    String source,
    String schema,
    String profile,
    String context) {
  /** The tag MLflow's UI reads the context from. */
  public static final String CONTEXT_TAG = "mlflow.data.context";

  /** The longest digest MLflow's database store accepts. */
  public static final int MAX_DIGEST = 36;

  public DatasetInput {
    if (digest.length() > MAX_DIGEST) {
      throw new IllegalArgumentException("digest over " + MAX_DIGEST + " characters: " + digest);
    }
  }

  /** The dataset's fields, in the order MLflow writes them. */
  public Map<String, Object> dataset() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("name", name);
    d.put("digest", digest);
    d.put("source_type", sourceType);
    d.put("source", source);
    d.put("schema", schema);
    d.put("profile", profile);
    return d;
  }

  /** The body of {@code POST runs/log-inputs} for {@code runId}. */
  public static Map<String, Object> request(String runId, List<DatasetInput> inputs) {
    List<Map<String, Object>> datasets =
        inputs.stream()
            .map(
                i ->
                    Map.<String, Object>of(
                        "dataset",
                        i.dataset(),
                        "tags",
                        List.of(Map.of("key", CONTEXT_TAG, "value", i.context()))))
            .toList();
    return Map.of("run_id", runId, "datasets", datasets);
  }
}
