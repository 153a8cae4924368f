package io.cxr.core.tracking;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.cxr.core.io.AtomicFiles;
import io.cxr.core.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A run's {@code model/} artifact folder laid out as MLflow lays out a logged model: the model
 * ({@code model.zip}) beside an {@code MLmodel} file naming its flavor. MLflow's registry pages
 * read {@code MLmodel} of a version's source; without it they answered an error for every cxr
 * version.
 */
public final class ModelArtifact {
  /** The artifact folder of the model in a run. */
  public static final String DIR = "model";

  private static final DateTimeFormatter CREATED =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS").withZone(ZoneOffset.UTC);

  private ModelArtifact() {}

  /** Logs {@code modelZip} and its {@code MLmodel} into the run's {@code model/} folder. */
  public static void log(TrackedRun run, Path modelZip) {
    run.logArtifact(modelZip, DIR);
    Path dir = null;
    try {
      dir = Files.createTempDirectory("cxr-mlmodel");
      Path mlmodel = dir.resolve("MLmodel");
      String id = run.remoteRunId() != null ? run.remoteRunId() : run.runId();
      Map<String, Object> m = model(id, modelZip.getFileName().toString(), Instant.now());
      AtomicFiles.writeString(mlmodel, Json.YAML.writeValueAsString(m));
      run.logArtifact(mlmodel, DIR);
      // what MLflow's log_model records beside the files: the UI's Models column reads it
      run.setTags(Map.of(HISTORY_TAG, history(m)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      if (dir != null) {
        AtomicFiles.deleteRecursively(dir);
      }
    }
  }

  /** The run tag listing the models logged in a run, as MLflow's {@code log_model} writes it. */
  public static final String HISTORY_TAG = "mlflow.log-model.history";

  /**
   * The tag's value: a JSON list with the model's run, path, time, uuid and flavors (MLflow's
   * {@code Model.get_tags_dict}: no signature).
   */
  static String history(Map<String, Object> model) {
    Map<String, Object> entry = new LinkedHashMap<>();
    for (String k :
        List.of("run_id", "artifact_path", "utc_time_created", "model_uuid", "flavors")) {
      entry.put(k, model.get(k));
    }
    try {
      return Json.JSON
          .writer()
          .without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
          .writeValueAsString(List.of(entry));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The MLmodel YAML: MLflow's top-level keys and one flavor, {@code cxr}. */
  static String mlmodel(String runId, String modelFile, Instant created) {
    try {
      return Json.YAML.writeValueAsString(model(runId, modelFile, created));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, Object> model(String runId, String modelFile, Instant created) {
    Map<String, Object> flavor = new LinkedHashMap<>();
    flavor.put("model_file", modelFile);
    flavor.put("cxr_version", Provenance.version());
    flavor.put("loader", "java -jar cxr.jar predict --model " + modelFile + " <images>");
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("artifact_path", DIR);
    m.put("flavors", Map.of("cxr", flavor));
    m.put("model_uuid", UUID.randomUUID().toString());
    m.put("run_id", runId);
    // what `cxr serve` takes and answers (MLflow's column-based signature, as JSON strings)
    m.put(
        "signature",
        Map.of(
            "inputs",
            "[{\"type\": \"binary\", \"name\": \"image\", \"required\": true}]",
            "outputs",
            "[{\"type\": \"string\", \"name\": \"label\", \"required\": true},"
                + " {\"type\": \"double\", \"name\": \"probability\", \"required\": true}]"));
    m.put("utc_time_created", CREATED.format(created));
    return m;
  }
}
