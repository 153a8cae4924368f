package io.cxr.core.stage;

import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.data.CrossSplitDuplicates;
import io.cxr.core.data.DataSource;
import io.cxr.core.data.DataValidator;
import io.cxr.core.data.DecodeFeed;
import io.cxr.core.data.ExternalSets;
import io.cxr.core.data.ImageDecoder;
import io.cxr.core.data.Label;
import io.cxr.core.data.ManifestBuilder;
import io.cxr.core.data.PreparedDataset;
import io.cxr.core.data.Sample;
import io.cxr.core.data.SamplesCsv;
import io.cxr.core.data.SourceKind;
import io.cxr.core.data.Sources;
import io.cxr.core.data.Split;
import io.cxr.core.data.SplitAssigner;
import io.cxr.core.data.SplitStats;
import io.cxr.core.data.SplitWriter;
import io.cxr.core.io.AtomicFiles;
import io.cxr.core.io.Hashing;
import io.cxr.core.io.WorkspaceLock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code cxr prepare}: source -> splits (patient-wise where carved) -> decode, grayscale, resize,
 * scale to [0, 1] -> validation -> {@code x_<split>.npy}, {@code y_<split>.npy}, {@code
 * samples.csv}, {@code manifest.json} and {@code config.yaml}, published atomically.
 */
public final class PrepareStage {
  /** Held-out splits first, so a duplicate is dropped from the split that is trained on. */
  private static final List<Split> WRITE_ORDER = List.of(Split.TEST, Split.VAL, Split.TRAIN);

  private PrepareStage() {}

  /** What prepare produced. */
  public record Result(
      Path dir,
      int imageSize,
      Map<Split, SplitStats> stats,
      Map<Split, String> origin,
      List<String> warnings,
      String manifestSha256,
      double seconds,
      List<Map<String, Object>> external) {
    /** The table prepare prints: images per split and class, the external sets, one summary. */
    public String summary() {
      java.util.Formatter f = new java.util.Formatter(new StringBuilder(), Locale.ROOT);
      f.format(
          Locale.ROOT,
          "%-6s %7s %8s %10s  %s\n",
          "split",
          "images",
          "NORMAL",
          "PNEUMONIA",
          "origin");
      for (Split s : Split.values()) {
        SplitStats st = stats().get(s);
        f.format(
            Locale.ROOT,
            "%-6s %7d %8d %10d  %s\n",
            s.key(),
            st.count(),
            st.count(Label.NORMAL),
            st.count(Label.PNEUMONIA),
            origin().get(s));
      }
      for (var e : external()) {
        f.format(
            Locale.ROOT,
            "%-6s %7s %8s %10s  %s\n",
            "ext.",
            e.get("count"),
            e.get("NORMAL"),
            e.get("PNEUMONIA"),
            "external set " + e.get("name") + " (data.external, never trained on)");
      }
      f.format(
          Locale.ROOT,
          "prepared %dx%d images into %s in %.1f s (manifest sha256 %s)\n",
          imageSize(),
          imageSize(),
          dir(),
          seconds(),
          manifestSha256().substring(0, 12));
      return f.toString();
    }
  }

  /** Prepares {@code source} into {@code outDir}, holding its lock (one writer at a time). */
  public static Result run(CxrConfig cfg, Path source, Path outDir, Reporter reporter) {
    if (outDir.toAbsolutePath().normalize().getParent() == null) {
      // prepare replaces its folder as a whole: it needs one with a parent to stage beside it
      throw new CxrException(
          "paths.prepared "
              + outDir
              + ": the root of the file system (expected a folder for the prepared data)");
    }
    try (WorkspaceLock lock =
        WorkspaceLock.acquire(outDir, false, "paths.prepared", "cxr prepare")) {
      return prepare(cfg, source, outDir, reporter);
    } catch (UncheckedIOException e) {
      // a full disk, a read-only file system: say where, and that nothing was half-published
      throw new CxrException(
          "paths.prepared "
              + outDir
              + ": cannot write it ("
              + (e.getCause() == null ? e.getMessage() : e.getCause().getMessage())
              + "); nothing was published, what was there before is unchanged",
          e);
    }
  }

  private static Result prepare(CxrConfig cfg, Path source, Path outDir, Reporter reporter) {
    long t0 = System.nanoTime();
    PreparedDataset.requireReplaceable(outDir);
    DataSource src = open(cfg, source);
    int size = Sources.imageSize(cfg, src);
    describe(src, size, reporter);
    // external sets are opened and checked (both classes) before anything is decoded
    List<ExternalSets.Planned> external = ExternalSets.plan(cfg.data().external(), src.crop());
    Map<Split, String> origin = new EnumMap<>(Split.class);
    Map<Split, List<Sample>> bySplit = SplitAssigner.assign(cfg, src, origin, reporter);
    int workers = cfg.data().workers() > 0 ? cfg.data().workers() : CORES;
    Path staging = AtomicFiles.tempDirBeside(outDir);
    try {
      Map<Split, SplitStats> stats = new EnumMap<>(Split.class);
      CrossSplitDuplicates duplicates =
          new CrossSplitDuplicates(cfg.data().validation().crossSplitDuplicates());
      ManifestBuilder manifest = new ManifestBuilder();
      SamplesCsv csv = new SamplesCsv();
      try (DecodeFeed feed = new DecodeFeed(src, size, workers, WRITE_ORDER, bySplit);
          Reporter.Progress progress = reporter.progress("prepare", total(bySplit))) {
        for (Split s : WRITE_ORDER) {
          SplitStats st = new SplitStats();
          stats.put(s, st);
          SplitWriter.Written w =
              SplitWriter.write(s, bySplit.get(s), size, staging, feed, duplicates, st, progress);
          csv.add(s, w.kept());
          manifest.split(s, st, w, origin.get(s));
        }
      }
      List<Map<String, Object>> externalSets =
          ExternalSets.write(external, size, workers, staging, duplicates, reporter);
      manifest.external(externalSets);
      List<String> warnings =
          java.util.stream.Stream.of(
                  src.warnings(),
                  duplicates.warnings(),
                  DataValidator.check(stats, cfg.data().validation(), src.describe()))
              .flatMap(List::stream)
              .toList();
      String manifestJson = manifest.json(cfg, size, src, source, warnings, duplicates.dropped());
      publish(staging, outDir, manifestJson, csv, cfg);
      staging = null;
      warnings.forEach(reporter::warn);
      return new Result(
          outDir,
          size,
          stats,
          origin,
          warnings,
          Hashing.sha256(manifestJson),
          (System.nanoTime() - t0) / 1e9,
          externalSets);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      if (staging != null) {
        AtomicFiles.deleteRecursively(staging);
      }
    }
  }

  private static final int CORES = Runtime.getRuntime().availableProcessors();

  /** The source with the configured decoder and, for image files, the crop. */
  private static DataSource open(CxrConfig cfg, Path source) {
    ImageDecoder.use(cfg.data().decoder());
    DataSource opened = Sources.open(source, true);
    // image files are cropped; a MedMNIST npz comes framed and resized by its makers (28 px: a
    // crop would cost a fifth of its few pixels) and is prepared whole
    return opened.kind() == SourceKind.FOLDER ? opened.withCrop(cfg.data().crop()) : opened;
  }

  private static long total(Map<Split, List<Sample>> bySplit) {
    return bySplit.values().stream().mapToLong(List::size).sum();
  }

  /** Writes the manifest, samples.csv and config.yaml into the staging folder, then publishes. */
  private static void publish(
      Path staging, Path outDir, String manifestJson, SamplesCsv csv, CxrConfig cfg)
      throws IOException {
    Files.writeString(staging.resolve(PreparedDataset.MANIFEST), manifestJson);
    Files.writeString(staging.resolve("samples.csv"), csv.toString());
    Files.writeString(staging.resolve("config.yaml"), ConfigLoader.toYaml(cfg));
    AtomicFiles.publishDir(staging, outDir);
  }

  /** The source line, and a warning when JPEGs go through the slower decoder. */
  private static void describe(DataSource src, int size, Reporter reporter) {
    reporter.info(
        "source: "
            + src.describe()
            + ", "
            + src.samples().size()
            + " images; "
            + "image size "
            + size
            + "x"
            + size
            + (src.crop() > 0
                ? String.format(Locale.ROOT, " (%.0f%% cut off each side first)", src.crop() * 100)
                : ""));
    if (src.kind() == SourceKind.FOLDER && !ImageDecoder.fastJpeg()) {
      reporter.warn(
          "decoding JPEGs with OpenCV's bundled libjpeg (about 1.5x slower): "
              + ImageDecoder.backend().substring(ImageDecoder.backend().lastIndexOf("; ") + 2)
              + "; install libturbojpeg0 for the fast path");
    }
  }
}
