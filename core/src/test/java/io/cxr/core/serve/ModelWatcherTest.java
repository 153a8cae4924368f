package io.cxr.core.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.model.ModelBundle;
import io.cxr.core.registry.FileStoreRegistry;
import io.cxr.core.registry.ModelRegistry;
import io.cxr.core.tracking.FileStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watcher behind {@code cxr serve models:/name@alias}, on the local registry: it installs the
 * version the alias points at, once; a version that cannot be loaded is reported once and skipped
 * while the old model keeps serving; a registry that cannot be reached is reported once per error;
 * fetched files of replaced versions are deleted. The watcher never looks inside a model, so the
 * loader here reads the fetched file's text ("broken" cannot be loaded) and returns no network.
 */
class ModelWatcherTest {
  @TempDir Path tmp;
  FileStore store;
  FileStoreRegistry registry;
  final List<String> installed = new CopyOnWriteArrayList<>();
  final List<String> failures = new ArrayList<>();
  final List<String> infos = new ArrayList<>();
  final List<String> warnings = new ArrayList<>();
  final List<Path> loaded = new ArrayList<>();
  final AtomicBoolean down = new AtomicBoolean();

  final Reporter reporter =
      new Reporter() {
        @Override
        public void info(String message) {
          infos.add(message);
        }

        @Override
        public void warn(String message) {
          warnings.add(message);
        }

        @Override
        public Progress progress(String task, long total) {
          return Progress.NONE;
        }
      };

  final Function<Path, ModelBundle> loader =
      file -> {
        loaded.add(file);
        try {
          if (Files.readString(file).equals("broken")) {
            throw new CxrException("model " + file + ": cannot restore the network (not a zip)");
          }
        } catch (java.io.IOException e) {
          throw new CxrException(e.getMessage());
        }
        return null;
      };

  final ModelWatcher.Target target =
      new ModelWatcher.Target() {
        @Override
        public void install(ServedModel model) {
          installed.add(model.version() + ":" + model.runId() + ":" + model.ref());
        }

        @Override
        public void failed(String version, String reason) {
          failures.add(version + ": " + reason);
        }
      };

  @BeforeEach
  void store() {
    store = new FileStore(tmp.resolve("mlruns"));
    registry = new FileStoreRegistry(store);
  }

  /** Registers a version whose run holds a model.zip with {@code content}. */
  String register(String content) throws Exception {
    String exp = store.experimentId("e");
    String run = store.createRun(exp, "train", 1L);
    Path zip = Files.createDirectories(tmp.resolve("files").resolve(run)).resolve("model.zip");
    Files.writeString(zip, content);
    store.logArtifact(exp, run, zip, "model");
    return registry.createVersion("cxr", run, Map.of()).runId();
  }

  /**
   * The local registry as the MLflow server behaves: fetched models are downloaded into the folder
   * given; {@code down} makes every call fail as an unreachable server would.
   */
  ModelRegistry remoteLike() {
    return (ModelRegistry)
        Proxy.newProxyInstance(
            ModelRegistry.class.getClassLoader(),
            new Class<?>[] {ModelRegistry.class},
            (proxy, method, args) -> {
              if (down.get() && !method.getName().equals("describe")) {
                throw new CxrException("connection refused");
              }
              try {
                Object out = method.invoke(registry, args);
                if (method.getName().equals("fetchModel")) {
                  ModelRegistry.Version v = (ModelRegistry.Version) args[0];
                  return Files.copy(
                      (Path) out, ((Path) args[1]).resolve("cxr-v" + v.version() + ".zip"));
                }
                return out;
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  @Test
  void followsTheAliasInstallingEachVersionOnceAndSkippingOneThatCannotLoad() throws Exception {
    ModelWatcher w = new ModelWatcher(registry, "cxr", "champion", loader, target, reporter);
    assertEquals("models:/cxr@champion", w.ref());
    assertFalse(w.poll(), "no alias yet: nothing to serve");
    assertNull(w.serving());
    String run1 = register("one");
    registry.setAlias("cxr", "champion", "1");
    assertTrue(w.poll());
    assertFalse(w.poll(), "the alias has not moved: not loaded again");
    assertEquals(List.of("1:" + run1 + ":models:/cxr@champion"), installed);
    assertEquals(1, loaded.size());
    assertEquals(List.of("serving cxr version 1"), infos);

    register("broken");
    registry.setAlias("cxr", "champion", "2");
    assertFalse(w.poll());
    assertFalse(w.poll(), "a version that failed is not tried at every poll");
    assertEquals("1", w.serving(), "the old model keeps serving");
    assertEquals(1, failures.size(), failures.toString());
    assertTrue(failures.get(0).startsWith("2: model "), failures.toString());
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(
        warnings.get(0).startsWith("models:/cxr@champion moved to version 2, which cannot be"),
        warnings.get(0));
    assertTrue(warnings.get(0).endsWith("still serving version 1"), warnings.get(0));

    String run3 = register("three");
    registry.setAlias("cxr", "champion", "3");
    assertTrue(w.poll());
    assertEquals("3:" + run3 + ":models:/cxr@champion", installed.get(1));
    assertEquals("serving cxr version 3 (was version 1)", infos.get(1));
    assertTrue(Files.isRegularFile(loaded.get(0)), "the local store's own file is never deleted");
    registry.setAlias("cxr", "champion", "1");
    assertTrue(w.poll(), "moving back is a move too");
    assertEquals("1", w.serving());
    w.close();
  }

  @Test
  void anUnreachableRegistryIsReportedOnceAndTheModelKept() throws Exception {
    register("one");
    registry.setAlias("cxr", "champion", "1");
    ModelWatcher w = new ModelWatcher(remoteLike(), "cxr", "champion", loader, target, reporter);
    assertTrue(w.poll());
    down.set(true);
    assertFalse(w.poll());
    assertFalse(w.poll());
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains("connection refused; still serving 1"), warnings.get(0));
    down.set(false);
    register("two");
    registry.setAlias("cxr", "champion", "2");
    assertTrue(w.poll(), "back: the move is seen");
    down.set(true);
    assertFalse(w.poll());
    assertEquals(2, warnings.size(), "reported again after it had come back: " + warnings);
    w.close();
  }

  @Test
  void fetchedFilesOfReplacedVersionsAreDeletedAndTheRestOnClose() throws Exception {
    register("one");
    register("two");
    registry.setAlias("cxr", "champion", "1");
    ModelWatcher w = new ModelWatcher(remoteLike(), "cxr", "champion", loader, target, reporter);
    assertTrue(w.poll());
    Path first = loaded.get(0);
    assertTrue(Files.isRegularFile(first));
    registry.setAlias("cxr", "champion", "2");
    assertTrue(w.poll());
    Path second = loaded.get(1);
    assertFalse(Files.exists(first), "replaced: its file is gone");
    assertFalse(Files.exists(first.getParent()));
    assertTrue(Files.isRegularFile(second));
    w.close();
    assertFalse(Files.exists(second.getParent().getParent()), "the watcher's folder is gone");
  }

  @Test
  void onATimerTheMoveIsPickedUpWithoutAPoll() throws Exception {
    register("one");
    register("two");
    registry.setAlias("cxr", "champion", "1");
    try (ModelWatcher w =
        new ModelWatcher(registry, "cxr", "champion", loader, target, reporter)
            .start(Duration.ofMillis(20))) {
      waitFor(() -> "1".equals(w.serving()));
      registry.setAlias("cxr", "champion", "2");
      waitFor(() -> "2".equals(w.serving()));
      assertEquals(2, installed.size(), installed.toString());
    }
  }

  private static void waitFor(java.util.function.BooleanSupplier done) throws Exception {
    for (int i = 0; i < 1500 && !done.getAsBoolean(); i++) {
      Thread.sleep(20);
    }
    assertTrue(done.getAsBoolean(), "not within 30 s");
  }
}
