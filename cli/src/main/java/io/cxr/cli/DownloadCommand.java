package io.cxr.cli;

import io.cxr.core.config.CxrConfig;
import io.cxr.core.stage.DownloadStage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cxr download}. */
@Command(
    name = "download",
    mixinStandardHelpOptions = true,
    description = {
      "Download PneumoniaMNIST from Zenodo (MD5 verified, any size) or the Kermany "
          + "chest X-rays from Kaggle (credentials from KAGGLE_USERNAME/KAGGLE_KEY or "
          + "~/.kaggle/kaggle.json; never printed).",
      "Interrupted downloads resume; nothing incomplete is left under its final name."
    })
final class DownloadCommand extends BaseCommand {
  @Option(
      names = {"-d", "--dataset"},
      paramLabel = "pneumoniamnist|kermany",
      description = "what to download (default: download.dataset)")
  String dataset;

  @Option(
      names = "--size",
      paramLabel = "28|64|128|224",
      description = "PneumoniaMNIST image size (default: download.medmnist_size)")
  Integer size;

  @Option(
      names = {"-o", "--out"},
      paramLabel = "<folder>",
      description = "target folder (default: download.target)")
  Path out;

  @Parameters(paramLabel = "key=value", description = "config overrides")
  List<String> overrides = new ArrayList<>();

  @Override
  public Integer call() {
    List<String> extra = new ArrayList<>();
    if (dataset != null) {
      extra.add("download.dataset=" + dataset);
    }
    if (size != null) {
      extra.add("download.medmnist_size=" + size);
    }
    if (out != null) {
      extra.add("download.target=" + out);
    }
    CxrConfig cfg = config(overrides, extra.toArray(String[]::new));
    var r = DownloadStage.run(cfg, System.getenv(), reporter());
    out()
        .printf(
            Locale.ROOT,
            "%s %s%s%n",
            r.alreadyPresent() ? "present:" : "downloaded:",
            r.data(),
            r.bytes() > 0 ? String.format(Locale.ROOT, " (%,d bytes)", r.bytes()) : "");
    out().println("next: cxr prepare --source " + r.data());
    return 0;
  }
}
