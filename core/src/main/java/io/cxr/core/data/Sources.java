package io.cxr.core.data;

import io.cxr.core.CxrException;
import io.cxr.core.config.CxrConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Opens the right {@link DataSource} for a path. */
public final class Sources {
  private Sources() {}

  /**
   * An npz file or a Kermany folder.
   *
   * @param requireTrain whether a split folder layout must include train/
   */
  public static DataSource open(Path path, boolean requireTrain) {
    if (path == null) {
      throw new CxrException("no data source given (set data.source or --source)");
    }
    if (Files.isDirectory(path)) {
      return KermanyFolderSource.open(path, requireTrain);
    }
    if (path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npz")) {
      return NpzSource.open(path);
    }
    if (!Files.exists(path)) {
      throw new CxrException(
          "data source "
              + path
              + ": not found (expected a Kermany folder or "
              + "a MedMNIST .npz file)");
    }
    throw new CxrException(
        "data source "
            + path
            + ": not a folder or a .npz file (expected a "
            + "Kermany folder or a MedMNIST .npz file)");
  }

  /** The side images are resized to: explicit, else the npz's own, else folder_image_size. */
  public static int imageSize(CxrConfig cfg, DataSource src) {
    int explicit = cfg.data().explicitImageSize();
    if (explicit > 0) {
      return explicit;
    }
    return src.nativeSize() > 0 ? src.nativeSize() : cfg.data().folderImageSize();
  }
}
