package io.cxr.core.stage;

import io.cxr.core.data.PreparedDataset;
import io.cxr.core.data.Split;
import io.cxr.core.io.Json;
import io.cxr.core.tracking.DatasetInput;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a training run records as its MLflow inputs: the prepared train, validation and test splits
 * (contexts {@code training}, {@code validation}, {@code test}) and each external set ({@code
 * external}), named after the source they were prepared from, all with the prepared manifest's
 * digest (its SHA-256's first 16 hex digits; the whole hash is in the profile), a tensor schema of
 * the images and labels, and a profile of their counts by class.
 */
final class RunInputs {
  /** The digest's length: MLflow's stores keep 36 characters at most. */
  static final int DIGEST = 16;

  private RunInputs() {}

  static List<DatasetInput> of(PreparedDataset data) {
    String source = data.source().getOrDefault("data_source", "");
    String base = source.isEmpty() ? "prepared" : Path.of(source).getFileName().toString();
    String digest = data.manifestSha256().substring(0, DIGEST);
    String schema = schema(data.imageSize());
    List<DatasetInput> out = new ArrayList<>();
    Map<Split, String> contexts =
        Map.of(Split.TRAIN, "training", Split.VAL, "validation", Split.TEST, "test");
    for (Split s : Split.values()) {
      out.add(
          new DatasetInput(
              base + "/" + s.key(),
              digest,
              "local",
              uri(source.isEmpty() ? data.dir().toString() : source),
              schema,
              profile(data.split(s), data.manifestSha256()),
              contexts.get(s)));
    }
    for (PreparedDataset.External e : data.externals()) {
      out.add(
          new DatasetInput(
              "external/" + e.name(),
              digest,
              "local",
              uri(Path.of(e.path()).toAbsolutePath().normalize().toString()),
              schema,
              profile(e.images(), data.manifestSha256()),
              "external"));
    }
    return out;
  }

  /** One-line JSON, map keys sorted (the same dataset is always the same text). */
  private static String compact(Object value) {
    try {
      return Json.JSON
          .writer()
          .without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
          .with(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .writeValueAsString(value);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String uri(String path) {
    return compact(Map.of("uri", path));
  }

  /** MLflow's tensor spec: float32 images n x 1 x size x size in [0, 1], int labels. */
  static String schema(int size) {
    String features = tensor("float32", List.of(-1, 1, size, size));
    String targets = tensor("int32", List.of(-1));
    return compact(Map.of("mlflow_tensorspec", Map.of("features", features, "targets", targets)));
  }

  /** One tensor's spec as MLflow writes it: a JSON list holding one typed tensor. */
  private static String tensor(String dtype, List<Integer> shape) {
    return compact(
        List.of(Map.of("type", "tensor", "tensor-spec", Map.of("dtype", dtype, "shape", shape))));
  }

  static String profile(PreparedDataset.Images images, String manifestSha256) {
    int pneumonia = 0;
    for (int y : images.y()) {
      pneumonia += y;
    }
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("num_rows", images.n());
    p.put("NORMAL", images.n() - pneumonia);
    p.put("PNEUMONIA", pneumonia);
    p.put("prepared_manifest_sha256", manifestSha256);
    return compact(p);
  }
}
