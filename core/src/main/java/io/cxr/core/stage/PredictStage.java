package io.cxr.core.stage;

import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.data.ImageDecoder;
import io.cxr.core.data.KermanyFolderSource;
import io.cxr.core.io.AtomicFiles;
import io.cxr.core.io.OutputFolder;
import io.cxr.core.model.ModelBundle;
import io.cxr.core.model.PixelCheck;
import io.cxr.core.model.Prediction;
import io.cxr.core.model.Saliency;
import io.cxr.core.model.Scorer;
import io.cxr.core.report.Overlays;
import io.cxr.core.report.PredictionFormats;
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
    String[] errors = new String[files.size()];
    Reporter shown = progress ? reporter : Reporter.SILENT;
    try (Reporter.Progress bar = shown.progress("predict", files.size())) {
      p =
          Scorer.decodeAndScore(
              model,
              files.size(),
              (i, x, off) -> {
                try {
                  ImageDecoder.forThread(size, model.card().cropOrZero())
                      .decodeFile(files.get(i), x, off);
                } catch (RuntimeException e) {
                  // one unreadable file must not cost the others their predictions
                  String why = e.getMessage() == null ? e.toString() : e.getMessage();
                  String name = files.get(i).toString();
                  errors[i] = why.contains(name) ? why : "image " + name + ": " + why;
                }
              },
              bar);
    }
    List<Prediction> out = new ArrayList<>(files.size());
    for (int i = 0; i < files.size(); i++) {
      if (errors[i] != null) {
        out.add(Prediction.failed(files.get(i), errors[i]));
        continue;
      }
      out.add(new Prediction(files.get(i), model.card().label(p[i]).name(), p[i]));
    }
    return out;
  }

  /**
   * What {@code cxr predict} was asked: images, output format and file, maps.
   *
   * @param format the output's format
   * @param output the file to write (atomically), or null for the caller to print the text
   * @param explainDir where to write the maps, or null for none
   * @param explainMethod grad-cam or occlusion, or null for the model's default
   */
  public record Request(
      List<Path> paths,
      boolean strict,
      PredictionFormats.Format format,
      Path output,
      Path explainDir,
      String explainMethod) {
    /** A request from command-line words: {@code format} is table, csv or json. */
    public static Request of(
        List<Path> paths,
        boolean strict,
        String format,
        Path output,
        Path explainDir,
        String explainMethod) {
      return new Request(
          paths, strict, PredictionFormats.Format.of(format), output, explainDir, explainMethod);
    }
  }

  /** What predict produced: the predictions, their text (when not written), the maps written. */
  public record Outcome(List<Prediction> predictions, String text, List<Path> maps) {
    /** The predictions whose image could not be read. */
    public List<Prediction> failed() {
      return predictions.stream().filter(Prediction::failed).toList();
    }
  }

  /**
   * {@code cxr predict}: loads the model, labels the images, writes the maps and the output file
   * when asked. Bad requests fail before any image is read; a single unreadable image is an error,
   * several images with some unreadable are a partial result ({@link Outcome#failed()}).
   */
  public static Outcome predict(CxrConfig cfg, Path modelPath, Request req, Reporter reporter) {
    if (req.explainMethod() != null && req.explainDir() == null) {
      throw new CxrException("--explain-method needs --explain <dir>");
    }
    ModelBundle bundle = ModelBundle.load(modelPath);
    if (req.explainMethod() != null) {
      Saliency.requireMethod(bundle, req.explainMethod());
    }
    if (req.output() != null
        && Files.exists(req.output())
        && !PredictionFormats.isWrittenByCxr(req.output())) {
      throw new CxrException(
          "-o "
              + req.output()
              + ": exists and is not a prediction file cxr wrote; refusing to replace it (choose"
              + " another file, or move it away)");
    }
    if (req.explainDir() != null) {
      requireMapFolder(req.explainDir()); // before the work, not after it
    }
    List<Prediction> preds =
        run(
            cfg,
            bundle,
            modelPath.toString(),
            req.paths(),
            req.strict(),
            req.format() == PredictionFormats.Format.TABLE,
            reporter);
    if (preds.size() == 1 && preds.get(0).failed()) {
      // one image asked for, none read: plain bad input
      throw new CxrException(preds.get(0).error());
    }
    List<Path> maps =
        req.explainDir() == null
            ? List.of()
            : explain(bundle, preds, req.explainDir(), req.explainMethod(), reporter);
    String text = PredictionFormats.format(req.format(), preds, bundle.card().threshold());
    if (req.output() != null) {
      AtomicFiles.writeString(req.output(), text);
    }
    return new Outcome(preds, req.output() == null ? text : null, maps);
  }

  /** The overview {@link #explain} writes beside the maps: the first 20, 4 per row. */
  static final String CONTACT_SHEET = "contact-sheet.png";

  static final int SHEET_IMAGES = 20;

  /** File name endings of the maps {@link #explain} writes. */
  static final List<String> MAP_SUFFIXES =
      List.of(".grad-cam.png", ".occlusion.png", CONTACT_SHEET);

  /**
   * Writes, per image, the X-ray with its saliency map over it ({@code cxr predict --explain}):
   * Grad-CAM of the last convolutional block for a CNN, occlusion for the dense baseline, as {@code
   * <dir>/<file name>.<method>.png}. The folder must be absent, empty or hold only such maps (cxr
   * never replaces what it did not write).
   *
   * @return the files written, in input order
   */
  public static List<Path> explain(
      ModelBundle model, List<Prediction> predictions, Path dir, Reporter reporter) {
    return explain(model, predictions, dir, null, reporter);
  }

  /**
   * As {@link #explain(ModelBundle, List, Path, Reporter)} with a named method ({@code grad-cam} or
   * {@code occlusion}); null: the model's default.
   */
  public static List<Path> explain(
      ModelBundle model,
      List<Prediction> predictions,
      Path dir,
      String explainMethod,
      Reporter reporter) {
    requireMapFolder(dir);
    if (!Files.isRegularFile(dir.resolve(OutputFolder.MARKER))) {
      OutputFolder.mark(dir, MAP_SUFFIXES, "--explain"); // the folder is cxr's from now on
    }
    int size = model.card().imageSize();
    String method = explainMethod == null ? Saliency.method(model) : explainMethod;
    List<Path> written = new ArrayList<>();
    List<Overlays.Panel> sheet = new ArrayList<>();
    java.util.Set<String> names = new java.util.HashSet<>();
    try (Reporter.Progress bar =
        reporter.progress("explain (" + method + ")", predictions.size())) {
      for (Prediction p : predictions) {
        if (p.failed()) {
          bar.step();
          continue;
        }
        float[] x = new float[size * size];
        ImageDecoder.forThread(size, model.card().cropOrZero()).decodeFile(p.file(), x, 0);
        Saliency.Map map = Saliency.explain(model, x, method);
        String stem = p.file().getFileName().toString();
        String name = stem + "." + method + ".png";
        for (int k = 2; !names.add(name); k++) {
          name = stem + "-" + k + "." + method + ".png";
        }
        Path png = dir.resolve(name);
        Overlays.write(x, map.values(), size, png);
        written.add(png);
        if (sheet.size() < SHEET_IMAGES) {
          String shortName = stem.length() > 16 ? stem.substring(0, 15) + "~" : stem;
          sheet.add(
              new Overlays.Panel(
                  x,
                  map.values(),
                  size,
                  String.format(Locale.ROOT, "%s  %s %.2f", shortName, p.label(), map.score())));
        }
        bar.step();
      }
    }
    if (sheet.size() > 1) {
      Path png = dir.resolve(CONTACT_SHEET);
      Overlays.contactSheet(
          sheet,
          4,
          String.format(
              Locale.ROOT,
              "%s: %s %d px, P(PNEUMONIA) and label per image",
              method,
              model.card().modelType(),
              size),
          png);
      written.add(png);
    }
    return written;
  }

  /** Refuses (one line, exit 2) a --explain folder that holds anything cxr did not write. */
  public static void requireMapFolder(Path dir) {
    if (Files.isRegularFile(dir)) {
      throw new CxrException("--explain " + dir + ": is a file (expected a folder for the maps)");
    }
    if (Files.isDirectory(dir)) {
      // maps are replaced only in a folder cxr marked as its own: a user's x.grad-cam.png is not
      boolean ours = Files.isRegularFile(dir.resolve(OutputFolder.MARKER));
      try (Stream<Path> s = Files.list(dir)) {
        List<Path> foreign =
            s.filter(f -> !f.getFileName().toString().equals(OutputFolder.MARKER))
                .filter(
                    f ->
                        !ours
                            || !Files.isRegularFile(f)
                            || MAP_SUFFIXES.stream()
                                .noneMatch(x -> f.getFileName().toString().endsWith(x)))
                .limit(1)
                .toList();
        if (!foreign.isEmpty()) {
          throw new CxrException(
              "--explain "
                  + dir
                  + ": holds "
                  + foreign.get(0).getFileName()
                  + ", which cxr did not write (expected a new or empty folder, or one of earlier"
                  + " maps)");
        }
      } catch (IOException e) {
        throw new CxrException("--explain " + dir + ": cannot list it (" + e.getMessage() + ")");
      }
    }
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
