package io.cxr.core.stage;

import io.cxr.core.Reporter;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.download.Downloader;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code cxr download}: PneumoniaMNIST from Zenodo (checksum from the record's metadata) or the
 * Kermany chest X-rays from Kaggle (credentials from KAGGLE_USERNAME/KAGGLE_KEY or {@code
 * ~/.kaggle/kaggle.json}, never printed), into {@code download.target}.
 */
public final class DownloadStage {
  private DownloadStage() {}

  /** Kaggle's own credentials file of the user running cxr. */
  public static Path kaggleJson() {
    return Path.of(System.getProperty("user.home"), ".kaggle", "kaggle.json");
  }

  public static Downloader.Result run(CxrConfig cfg, Map<String, String> env, Reporter reporter) {
    return Downloader.fetch(cfg, env, kaggleJson(), reporter);
  }
}
