package io.cxr.core.stage;

import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.data.ImageDecoder;
import io.cxr.core.data.KermanyFolderSource;
import io.cxr.core.data.Label;
import io.cxr.core.model.ModelBundle;
import io.cxr.core.model.PixelCheck;
import io.cxr.core.model.Prediction;
import io.cxr.core.model.Scorer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** {@code cxr predict}: labels image files with a saved model and its own threshold. */
public final class PredictStage {
  private PredictStage() {}

  /**
   * Expands folders (recursively, image files only) and classifies every image.
   *
   * @param strict stop when this machine decodes JPEGs differently from the model's training
   * @param progress whether to show a progress bar (off when the output is CSV or JSON)
   */
  public static List<Prediction> run(
      CxrConfig cfg,
      ModelBundle model,
      String modelName,
      List<Path> inputs,
      boolean strict,
      boolean progress,
      Reporter reporter) {
    List<Path> files = expand(inputs);
    ImageDecoder.use(cfg.data().decoder());
    PixelCheck.check(model.card(), modelName, strict, reporter);
    int size = model.card().imageSize();
    float[] p;
    Reporter shown = progress ? reporter : Reporter.SILENT;
    try (Reporter.Progress bar = shown.progress("predict", files.size())) {
      p =
          Scorer.decodeAndScore(
              model,
              files.size(),
              (i, x, off) -> ImageDecoder.forThread(size).decodeFile(files.get(i), x, off),
              bar);
    }
    List<Prediction> out = new ArrayList<>(files.size());
    for (int i = 0; i < files.size(); i++) {
      Label l = p[i] >= model.card().threshold() ? Label.PNEUMONIA : Label.NORMAL;
      out.add(new Prediction(files.get(i), l.name(), p[i]));
    }
    return out;
  }

  static List<Path> expand(List<Path> inputs) {
    if (inputs.isEmpty()) {
      throw new CxrException("no images given (expected image files or folders)");
    }
    List<Path> files = new ArrayList<>();
    for (Path in : inputs) {
      if (Files.isDirectory(in)) {
        files.addAll(imagesIn(in));
      } else if (Files.isRegularFile(in)) {
        files.add(in);
      } else {
        throw new CxrException("image " + in + ": not found");
      }
    }
    return files;
  }

  private static List<Path> imagesIn(Path folder) {
    try (Stream<Path> s = Files.walk(folder)) {
      List<Path> found =
          s.filter(Files::isRegularFile)
              .filter(p -> isImage(p) && !p.getFileName().toString().startsWith("."))
              .sorted()
              .toList();
      if (found.isEmpty()) {
        throw new CxrException(
            "folder "
                + folder
                + ": no images (expected "
                + String.join(", ", KermanyFolderSource.IMAGE_ENDINGS)
                + " files)");
      }
      return found;
    } catch (IOException e) {
      throw new CxrException("folder " + folder + ": cannot list (" + e.getMessage() + ")");
    }
  }

  private static boolean isImage(Path p) {
    String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
    return KermanyFolderSource.IMAGE_ENDINGS.stream().anyMatch(n::endsWith);
  }
}
