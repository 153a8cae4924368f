package io.cxr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.Reporter;
import io.cxr.core.config.ConfigLoader;
import io.cxr.core.io.Json;
import io.cxr.core.model.ModelBundle;
import io.cxr.core.registry.FileStoreRegistry;
import io.cxr.core.serve.ModelWatcher;
import io.cxr.core.stage.PredictStage;
import io.cxr.core.tracking.FileStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot swap under load, on the local registry with two real models (the shared trained one and a
 * copy with shifted weights): a server that starts before the alias exists answers 503 until it
 * does; while eight clients post real JPEGs without pause, the alias moves back and forth and once
 * to a version whose file is not a model. No request fails, and every answer is exactly the numbers
 * of the model its {@code X-Cxr-Model-Version} header names (no half-swapped model, no batch mixing
 * two models); the broken version is skipped and counted.
 */
class HotSwapTest {
  @TempDir Path tmp;
  final HttpClient http = HttpClient.newHttpClient();

  @Test
  void theAliasMovesUnderLoadWithoutAFailedOrMixedAnswer() throws Exception {
    Path image;
    try (Stream<Path> p = Files.list(TrainedWorkspace.source().resolve("PNEUMONIA"))) {
      image = p.sorted().findFirst().orElseThrow();
    }
    byte[] jpeg = Files.readAllBytes(image);
    ModelBundle one = ModelBundle.load(TrainedWorkspace.model());
    ModelBundle two = ModelBundle.load(TrainedWorkspace.model());
    two.networks().forEach(n -> n.params().addi(0.01));
    Path twoZip = tmp.resolve("two/model.zip");
    Files.createDirectories(twoZip.getParent());
    two.save(twoZip);
    Map<String, Double> expected = new TreeMap<>();
    expected.put("1", probability(ModelBundle.load(TrainedWorkspace.model()), image));
    expected.put("2", probability(ModelBundle.load(twoZip), image));
    assertTrue(Math.abs(expected.get("1") - expected.get("2")) > 1e-3, expected.toString());

    FileStore store = new FileStore(tmp.resolve("mlruns"));
    FileStoreRegistry registry = new FileStoreRegistry(store);
    Path broken = Files.createDirectories(tmp.resolve("broken")).resolve("model.zip");
    Files.writeString(broken, "not a model");
    List<Path> zips = List.of(TrainedWorkspace.model(), twoZip, broken);
    String exp = store.experimentId("serve");
    for (Path zip : zips) {
      String run = store.createRun(exp, "train", 1L);
      store.logArtifact(exp, run, zip, "model");
      registry.createVersion("cxr", run, Map.of());
    }

    try (ScoringServer server =
        new ScoringServer(
                null,
                new ScoringServer.Options(
                    "127.0.0.1",
                    0,
                    64,
                    Duration.ofMillis(5),
                    64,
                    64 << 20,
                    Duration.ofSeconds(60),
                    null))
            .start()) {
      String base = "http://127.0.0.1:" + server.port();
      assertEquals(503, get(base + "/health").statusCode());
      HttpResponse<String> early = post(base, jpeg);
      assertEquals(503, early.statusCode(), early.body());
      assertEquals("5", early.headers().firstValue("Retry-After").orElse(""));
      assertEquals(200, get(base + "/ping").statusCode());

      ModelWatcher watcher =
          new ModelWatcher(registry, "cxr", "champion", ModelBundle::load, server, Reporter.SILENT);
      registry.setAlias("cxr", "champion", "1");
      assertTrue(watcher.poll());
      assertEquals(200, get(base + "/health").statusCode());
      assertEquals("1", Json.JSON.readTree(get(base + "/version").body()).path("version").asText());

      AtomicBoolean stop = new AtomicBoolean();
      List<String> problems = new CopyOnWriteArrayList<>();
      Map<String, Integer> answers = new ConcurrentHashMap<>();
      ExecutorService clients = Executors.newFixedThreadPool(8);
      List<Future<?>> running = new ArrayList<>();
      for (int c = 0; c < 8; c++) {
        running.add(
            clients.submit(
                () -> {
                  while (!stop.get()) {
                    HttpResponse<String> r = post(base, jpeg);
                    String v = r.headers().firstValue(ScoringServer.MODEL_HEADER).orElse("?");
                    double p =
                        Json.JSON
                            .readTree(r.body())
                            .path("predictions")
                            .path(0)
                            .path("probability")
                            .asDouble(-1);
                    if (r.statusCode() != 200 || !expected.containsKey(v) || expected.get(v) != p) {
                      problems.add(r.statusCode() + " version " + v + " p " + p + ": " + r.body());
                    }
                    answers.merge(v, 1, Integer::sum);
                  }
                  return null;
                }));
      }
      String[] moves = {"2", "1", "3", "2", "1", "2", "1", "2"};
      for (String to : moves) {
        Thread.sleep(250);
        registry.setAlias("cxr", "champion", to);
        assertEquals(!to.equals("3"), watcher.poll(), "move to " + to);
      }
      Thread.sleep(250);
      stop.set(true);
      for (Future<?> f : running) {
        f.get();
      }
      clients.shutdown();
      watcher.close();
      assertEquals(
          List.of(), problems.subList(0, Math.min(5, problems.size())), expected.toString());
      assertTrue(
          answers.getOrDefault("1", 0) > 0 && answers.getOrDefault("2", 0) > 0, answers.toString());
      assertEquals("2", Json.JSON.readTree(get(base + "/version").body()).path("version").asText());
      String metrics = get(base + "/metrics").body();
      assertTrue(metrics.contains("cxr_model_swaps_total{outcome=\"installed\"} 8.0"), metrics);
      assertTrue(metrics.contains("cxr_model_swaps_total{outcome=\"failed\"} 1.0"), metrics);
      assertTrue(metrics.contains("cxr_model_version 2.0"), metrics);
      assertFalse(metrics.contains("outcome=\"internal\""), metrics);
    }
  }

  private static double probability(ModelBundle model, Path image) {
    return PredictStage.run(
            ConfigLoader.load(null, List.of()),
            model,
            "model.zip",
            List.of(image),
            false,
            false,
            Reporter.SILENT)
        .get(0)
        .probability();
  }

  private HttpResponse<String> post(String base, byte[] jpeg) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(base + "/invocations"))
            .header("Content-Type", "image/jpeg")
            .POST(HttpRequest.BodyPublishers.ofByteArray(jpeg))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
