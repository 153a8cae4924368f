package io.cxr.core.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.CxrException;
import io.cxr.core.tracking.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local registry (MLflow's file-store layout): versions, aliases, tags, run metrics. */
class FileStoreRegistryTest {
  @TempDir Path tmp;

  @Test
  void versionsCountUpAndAnAliasPointsAtOne() {
    FileStore store = new FileStore(tmp.resolve("mlruns"));
    FileStoreRegistry reg = new FileStoreRegistry(store);
    ModelRegistry.Version v1 = reg.createVersion("cxr", "run-a", Map.of("k", "1"));
    ModelRegistry.Version v2 = reg.createVersion("cxr", "run-b", Map.of());
    assertEquals("1", v1.version());
    assertEquals("2", v2.version());
    assertEquals("runs:/run-b/model", v2.source());
    assertEquals(Optional.empty(), reg.byAlias("cxr", "champion"));
    reg.setAlias("cxr", "champion", "1");
    assertEquals("run-a", reg.byAlias("cxr", "champion").orElseThrow().runId());
    reg.setAlias("cxr", "champion", "2");
    assertEquals("2", reg.byAlias("cxr", "champion").orElseThrow().version());
    reg.setVersionTags("cxr", "2", Map.of("gate", "passed"));
    assertEquals(Map.of("gate", "passed"), reg.version("cxr", "2").orElseThrow().tags());
    assertEquals(Map.of("k", "1"), reg.version("cxr", "1").orElseThrow().tags());
    assertEquals(Optional.empty(), reg.version("cxr", "3"));
    assertTrue(reg.describe().contains(tmp.resolve("mlruns/models").toString()));
  }

  @Test
  void theRunsLastMetricValueAndItsModelFileAreFound() throws Exception {
    FileStore store = new FileStore(tmp.resolve("mlruns"));
    String exp = store.experimentId("e");
    String run = store.createRun(exp, "train", 1L);
    store.logMetric(exp, run, "test_f1", new FileStore.MetricPoint(1L, 0.8, 0));
    store.logMetric(exp, run, "test_f1", new FileStore.MetricPoint(2L, 0.9, 1));
    Path zip = Files.writeString(tmp.resolve("model.zip"), "zip");
    store.logArtifact(exp, run, zip, "model");
    FileStoreRegistry reg = new FileStoreRegistry(store);
    assertEquals(Optional.of(0.9), reg.runMetric(run, "test_f1"));
    assertEquals(Optional.empty(), reg.runMetric(run, "test_auc"));
    assertEquals(Optional.empty(), reg.runMetric("no-such-run", "test_f1"));
    ModelRegistry.Version v = reg.createVersion("cxr", run, Map.of());
    assertEquals("zip", Files.readString(reg.fetchModel(v, tmp)));
    ModelRegistry.Version orphan = reg.createVersion("cxr", "gone", Map.of());
    CxrException e = assertThrows(CxrException.class, () -> reg.fetchModel(orphan, tmp));
    assertTrue(e.getMessage().contains("run gone has no model/model.zip"), e.getMessage());
  }

  @Test
  void theRegisteredModelsMetaListsEveryAliasForMlflowsUi() throws Exception {
    FileStoreRegistry reg = new FileStoreRegistry(new FileStore(tmp.resolve("mlruns")));
    reg.createVersion("cxr", "run-a", Map.of());
    reg.createVersion("cxr", "run-b", Map.of());
    reg.setAlias("cxr", "champion", "1");
    reg.setAlias("cxr", "challenger", "2");
    reg.setAlias("cxr", "champion", "2");
    com.fasterxml.jackson.databind.JsonNode meta =
        io.cxr.core.io.Json.YAML.readTree(tmp.resolve("mlruns/models/cxr/meta.yaml").toFile());
    assertEquals("cxr", meta.path("name").asText(), "the other fields are kept");
    assertEquals("2", meta.path("aliases").path("champion").asText());
    assertEquals("2", meta.path("aliases").path("challenger").asText(), "earlier aliases kept");
  }

  @Test
  void whatAKilledRegisterLeftIsRemovedUnderTheLockAndNumbersAreNeverReused() throws Exception {
    FileStore store = new FileStore(tmp.resolve("mlruns"));
    FileStoreRegistry reg = new FileStoreRegistry(store);
    reg.createVersion("cxr", "run-a", Map.of());
    reg.createVersion("cxr", "run-b", Map.of());
    Path models = tmp.resolve("mlruns/models/cxr");
    // a register killed after creating its folder, before its meta.yaml was in place
    Path half = Files.createDirectories(models.resolve("version-3"));
    Files.writeString(half.resolve(".meta.yaml.tmp-123"), "half");
    // a version removed by hand: its number is not given out again
    assertTrue(Files.isDirectory(models.resolve("version-1")));
    io.cxr.core.io.AtomicFiles.deleteRecursively(models.resolve("version-1"));
    ModelRegistry.Version v =
        reg.exclusive("cxr", () -> reg.createVersion("cxr", "run-c", Map.of()));
    assertEquals("3", v.version(), "after the highest complete one (2); the half one removed");
    assertTrue(Files.isRegularFile(models.resolve("version-3/meta.yaml")));
    assertEquals(
        java.util.List.of("2", "3"),
        reg.versions("cxr").stream().map(ModelRegistry.Version::version).toList());
    assertTrue(reg.locks());
  }

  @Test
  void registersInThreadsTakeTurns() throws Exception {
    FileStore store = new FileStore(tmp.resolve("mlruns"));
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(8);
    java.util.List<java.util.concurrent.Future<String>> done = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String run = "run-" + i;
      done.add(
          pool.submit(
              () -> {
                FileStoreRegistry own = new FileStoreRegistry(store); // one per register
                return own.exclusive(
                    "cxr", () -> own.createVersion("cxr", run, Map.of()).version());
              }));
    }
    java.util.Set<String> versions = new java.util.HashSet<>();
    for (var f : done) {
      versions.add(f.get());
    }
    pool.shutdown();
    assertEquals(40, versions.size(), "no number given twice");
    assertEquals(40, new FileStoreRegistry(store).versions("cxr").size());
  }
}
