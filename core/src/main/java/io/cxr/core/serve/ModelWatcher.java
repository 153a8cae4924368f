package io.cxr.core.serve;

import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.model.ModelBundle;
import io.cxr.core.registry.ModelRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Keeps a server on the version a registry alias points at ({@code models:/name@champion}): every
 * {@code every} it asks the registry where the alias is; when it has moved, the new version is
 * fetched and loaded beside the one being served, and only a model that loaded completely is handed
 * to the {@link Target}, which switches in one step. A version that fails to fetch or load is
 * reported once and skipped (the old model keeps serving) until the alias moves again; a registry
 * that cannot be reached is reported once per distinct error and asked again at the next poll.
 * Fetched files live in a temporary folder of the watcher's own; a version's file is deleted once
 * another has replaced it.
 */
public final class ModelWatcher implements AutoCloseable {
  /** Where a loaded model goes. */
  public interface Target {
    /** Serve {@code model} from now on (requests already queued finish on the previous one). */
    void install(ServedModel model);

    /** Version {@code version} could not be fetched or loaded (the previous model is kept). */
    default void failed(String version, String reason) {}
  }

  private final ModelRegistry registry;
  private final String name;
  private final String alias;
  private final Function<Path, ModelBundle> loader;
  private final Target target;
  private final Reporter reporter;
  private final Path cache;
  private final Set<String> failed = new HashSet<>();
  private String serving;
  private Path servingFolder;
  private String lastError;
  private ScheduledExecutorService timer;

  /**
   * @param loader reads a fetched model file (normally {@link ModelBundle#load} plus its checks)
   */
  public ModelWatcher(
      ModelRegistry registry,
      String name,
      String alias,
      Function<Path, ModelBundle> loader,
      Target target,
      Reporter reporter) {
    this.registry = registry;
    this.name = name;
    this.alias = alias;
    this.loader = loader;
    this.target = target;
    this.reporter = reporter;
    try {
      this.cache = Files.createTempDirectory("cxr-serve-");
    } catch (IOException e) {
      throw new CxrException("cannot create a folder for fetched models: " + e.getMessage());
    }
  }

  /** The reference watched, {@code models:/name@alias}. */
  public String ref() {
    return "models:/" + name + "@" + alias;
  }

  /** The version being served, or null before the first one loaded. */
  public synchronized String serving() {
    return serving;
  }

  /**
   * Asks the registry once and switches when the alias has moved to a version not tried before.
   *
   * @return true when a new version was installed
   */
  public synchronized boolean poll() {
    Optional<ModelRegistry.Version> at;
    try {
      at = registry.byAlias(name, alias);
      lastError = null;
    } catch (RuntimeException e) {
      String msg = "cannot ask " + registry.describe() + " for " + ref() + ": " + e.getMessage();
      if (!msg.equals(lastError)) {
        reporter.warn(msg + "; still serving " + (serving == null ? "nothing" : serving));
      }
      lastError = msg;
      return false;
    }
    if (at.isEmpty()) {
      return false;
    }
    ModelRegistry.Version v = at.get();
    if (v.version().equals(serving) || failed.contains(v.version())) {
      return false;
    }
    return load(v);
  }

  private boolean load(ModelRegistry.Version v) {
    Path folder = cache.resolve("v" + v.version());
    ServedModel model;
    try {
      Files.createDirectories(folder);
      Path file = registry.fetchModel(v, folder);
      ModelBundle bundle = loader.apply(file);
      model = new ServedModel(bundle, ref(), name, v.version(), alias, v.runId());
    } catch (IOException | RuntimeException e) {
      failed.add(v.version());
      delete(folder);
      String reason = e.getMessage();
      reporter.warn(
          ref()
              + " moved to version "
              + v.version()
              + ", which cannot be loaded ("
              + reason
              + "); still serving "
              + (serving == null ? "nothing" : "version " + serving));
      target.failed(v.version(), reason);
      return false;
    }
    target.install(model);
    reporter.info(
        "serving "
            + name
            + " version "
            + v.version()
            + (serving == null ? "" : " (was version " + serving + ")"));
    Path old = servingFolder;
    serving = v.version();
    servingFolder = folder;
    if (old != null) {
      delete(old);
    }
    return true;
  }

  /** Polls every {@code every} on a daemon thread until closed. */
  public ModelWatcher start(Duration every) {
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "cxr-serve-watcher");
              t.setDaemon(true);
              return t;
            });
    long ms = every.toMillis();
    timer.scheduleWithFixedDelay(this::pollQuietly, ms, ms, TimeUnit.MILLISECONDS);
    return this;
  }

  private void pollQuietly() {
    try {
      poll();
    } catch (RuntimeException | Error e) {
      reporter.warn("watching " + ref() + ": " + e); // the timer must keep running
    }
  }

  /** Stops polling and removes the fetched files. */
  @Override
  public synchronized void close() {
    if (timer != null) {
      timer.shutdownNow();
    }
    delete(cache);
  }

  private static void delete(Path folder) {
    if (!Files.exists(folder)) {
      return;
    }
    try (Stream<Path> all = Files.walk(folder)) {
      all.sorted(Comparator.reverseOrder()).forEach(ModelWatcher::deleteOne);
    } catch (IOException | UncheckedIOException e) {
      // a temporary folder; what is left is the OS's to clear
    }
  }

  private static void deleteOne(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
