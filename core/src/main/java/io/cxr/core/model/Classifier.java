package io.cxr.core.model;

import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.data.ImageDecoder;
import io.cxr.core.data.KermanyFolderSource;
import io.cxr.core.data.Label;
import io.cxr.core.train.Predictor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/** Labels image files with a saved model and its threshold. */
public final class Classifier {
  private Classifier() {}

  /** One image's verdict. */
  public record Prediction(Path file, String label, double probability) {}

  /** Expands folders (recursively, image files only) and classifies every image. */
  public static List<Prediction> predict(ModelBundle model, List<Path> inputs, Reporter reporter) {
    List<Path> files = expand(inputs);
    int size = model.card().imageSize();
    List<Prediction> out = new ArrayList<>(files.size());
    int batch = 256;
    try (Reporter.Progress bar = reporter.progress("predict", files.size())) {
      for (int from = 0; from < files.size(); from += batch) {
        List<Path> chunk = files.subList(from, Math.min(files.size(), from + batch));
        float[] x = new float[chunk.size() * size * size];
        // decoded in place, in parallel across the cores, one reusable decoder per thread
        IntStream.range(0, chunk.size())
            .parallel()
            .forEach(
                i -> ImageDecoder.forThread(size).decodeFile(chunk.get(i), x, i * size * size));
        float[] p =
            Predictor.scores(model.network(), model.card().normalization(), x, chunk.size(), size);
        for (int i = 0; i < chunk.size(); i++) {
          Label l = p[i] >= model.card().threshold() ? Label.PNEUMONIA : Label.NORMAL;
          out.add(new Prediction(chunk.get(i), l.name(), p[i]));
          bar.step();
        }
      }
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
        try (Stream<Path> s = Files.walk(in)) {
          List<Path> found =
              s.filter(Files::isRegularFile)
                  .filter(p -> isImage(p) && !p.getFileName().toString().startsWith("."))
                  .sorted()
                  .toList();
          if (found.isEmpty()) {
            throw new CxrException(
                "folder "
                    + in
                    + ": no images (expected "
                    + String.join(", ", KermanyFolderSource.IMAGE_ENDINGS)
                    + " files)");
          }
          files.addAll(found);
        } catch (IOException e) {
          throw new CxrException("folder " + in + ": cannot list (" + e.getMessage() + ")");
        }
      } else if (Files.isRegularFile(in)) {
        files.add(in);
      } else {
        throw new CxrException("image " + in + ": not found");
      }
    }
    return files;
  }

  private static boolean isImage(Path p) {
    String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
    return KermanyFolderSource.IMAGE_ENDINGS.stream().anyMatch(n::endsWith);
  }
}
