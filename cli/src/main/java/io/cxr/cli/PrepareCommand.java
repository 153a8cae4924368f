package io.cxr.cli;

import io.cxr.core.config.CxrConfig;
import io.cxr.core.stage.PrepareStage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cxr prepare}. */
@Command(
    name = "prepare",
    mixinStandardHelpOptions = true,
    description = {
      "Decode, split (by patient where carved), resize and normalise a source into "
          + "prepared .npy tensors with a manifest; validates the data and stops on a problem.",
      "Writes paths.prepared (default data/prepared/)."
    })
final class PrepareCommand extends BaseCommand {
  @Option(
      names = {"-s", "--source"},
      paramLabel = "<folder|npz>",
      description = "Kermany folder or MedMNIST .npz (default: data.source)")
  Path source;

  @Option(
      names = {"-o", "--out"},
      paramLabel = "<folder>",
      description = "output folder (default: paths.prepared)")
  Path outDir;

  @Parameters(paramLabel = "key=value", description = "config overrides")
  List<String> overrides = new ArrayList<>();

  @Override
  public Integer call() {
    List<String> extra = new ArrayList<>();
    if (source != null) {
      extra.add("data.source=" + source);
    }
    if (outDir != null) {
      extra.add("paths.prepared=" + outDir);
    }
    CxrConfig cfg = config(overrides, extra.toArray(String[]::new));
    PrepareStage.Result r =
        PrepareStage.run(
            cfg, Path.of(cfg.data().source()), Path.of(cfg.paths().prepared()), reporter());
    out().print(r.summary());
    return 0;
  }
}
