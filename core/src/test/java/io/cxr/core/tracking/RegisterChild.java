package io.cxr.core.tracking;

import io.cxr.core.Reporter;
import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.stage.RegisterStage;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * One {@code register} in a process of its own, for the multi-process race test: {@code
 * RegisterChild <metrics.json> <model.zip> <config overrides...>}; prints {@code <version>
 * promoted|kept}. The processes share nothing but the registry, as users' processes do.
 */
public final class RegisterChild {
  private RegisterChild() {}

  public static void main(String[] args) {
    CxrConfig cfg = ConfigLoader.load(null, Arrays.asList(args).subList(2, args.length));
    MirroredTracker tracker = Tracking.open(cfg, Map.of(), Reporter.SILENT);
    RegisterStage.Result r =
        RegisterStage.run(cfg, tracker, Path.of(args[0]), Path.of(args[1]), Reporter.SILENT);
    System.out.println(r.version() + " " + (r.promoted() ? "promoted" : "kept"));
  }
}
