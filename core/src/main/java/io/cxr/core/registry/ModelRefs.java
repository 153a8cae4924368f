package io.cxr.core.registry;

import io.cxr.core.CxrException;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.model.BundleFiles;
import io.cxr.core.tracking.MirroredTracker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Resolves {@code models:/<name>@<alias>} or {@code models:/<name>/<version>} to a model file. */
public final class ModelRefs {
  private static final Pattern REF = Pattern.compile("models:/([^/@]+)(?:@([^/]+)|/(\\d+))");

  /** A parsed reference: a name and either an alias or a version number. */
  public record Ref(String name, String alias, String version) {}

  private ModelRefs() {}

  /** Parses {@code models:/<name>@<alias>} or {@code models:/<name>/<version>}. */
  public static Ref parse(String ref) {
    Matcher m = REF.matcher(ref);
    if (!m.matches()) {
      throw new CxrException(
          "model reference '"
              + ref
              + "': expected models:/<name>@<alias> "
              + "or models:/<name>/<version>");
    }
    return new Ref(m.group(1), m.group(2), m.group(3));
  }

  /**
   * The model a command should load: {@code <paths.models>/model.zip} when no reference is given, a
   * registry reference resolved to a file, else the path given.
   */
  public static Path locate(CxrConfig cfg, String ref, Supplier<MirroredTracker> tracker) {
    if (ref == null) {
      return BundleFiles.model(cfg.paths().models());
    }
    return isRef(ref) ? resolve(ref, tracker.get()) : Path.of(ref);
  }

  public static boolean isRef(String s) {
    return s != null && s.startsWith("models:/");
  }

  public static Path resolve(String ref, MirroredTracker tracker) {
    Ref r = parse(ref);
    ModelRegistry registry = Registries.of(tracker);
    Optional<ModelRegistry.Version> v =
        r.alias() != null
            ? registry.byAlias(r.name(), r.alias())
            : registry.version(r.name(), r.version());
    if (v.isEmpty()) {
      throw new CxrException("model reference '" + ref + "': not found in " + registry.describe());
    }
    try {
      Path cache = Files.createTempDirectory("cxr-model-");
      cache.toFile().deleteOnExit();
      return registry.fetchModel(v.get(), cache);
    } catch (IOException e) {
      throw new CxrException("cannot create a cache folder for " + ref + ": " + e.getMessage());
    }
  }
}
