package io.cxr.core.data;

import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.io.AtomicFiles;
import io.cxr.core.io.Hashing;
import io.cxr.core.io.Json;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The prepare stage: source -> splits (patient-wise where carved) -> decode, grayscale, resize,
 * scale to [0, 1] -> validation -> {@code x_<split>.npy}, {@code y_<split>.npy}, {@code
 * samples.csv}, {@code manifest.json} and {@code config.yaml}, published atomically.
 */
public final class Preparer {
  public static final String MANIFEST = "manifest.json";
  private static final int CHUNK = 128;

  private Preparer() {}

  /** What prepare produced. */
  public record Result(
      Path dir,
      int imageSize,
      Map<Split, SplitStats> stats,
      Map<Split, String> origin,
      List<String> warnings,
      String manifestSha256,
      double seconds) {}

  public static Result prepare(CxrConfig cfg, Path source, Path outDir, Reporter reporter) {
    long t0 = System.nanoTime();
    DataSource src = Sources.open(source, true);
    int size = imageSize(cfg, src);
    reporter.info(
        "source: "
            + src.describe()
            + ", "
            + src.samples().size()
            + " images; "
            + "image size "
            + size
            + "x"
            + size);
    Map<Split, String> origin = new EnumMap<>(Split.class);
    Map<Split, List<Sample>> bySplit = assignSplits(cfg, src, origin, reporter);
    if (cfg.data().maxPerClass() > 0) {
      bySplit.replaceAll((s, list) -> cap(list, cfg.data().maxPerClass(), cfg.seed()));
    }
    Path staging = AtomicFiles.tempDirBeside(outDir);
    int workers =
        cfg.data().workers() > 0
            ? cfg.data().workers()
            : Runtime.getRuntime().availableProcessors();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            workers,
            r -> {
              Thread t = new Thread(r, "cxr-decode");
              t.setDaemon(true);
              return t;
            });
    try {
      Map<Split, SplitStats> stats = new EnumMap<>(Split.class);
      Map<Split, Map<String, Object>> splitInfo = new EnumMap<>(Split.class);
      Map<String, String> seen = new HashMap<>(); // content hash -> "split:id"
      List<Map<String, String>> duplicates = new ArrayList<>();
      List<String> warnings = new ArrayList<>();
      StringBuilder csv = new StringBuilder("split,index,id,label,patient\n");
      long total = bySplit.values().stream().mapToLong(List::size).sum();
      try (Reporter.Progress progress = reporter.progress("prepare", total)) {
        // held-out splits first, so a duplicate is dropped from the split that is trained on
        for (Split s : new Split[] {Split.TEST, Split.VAL, Split.TRAIN}) {
          SplitStats st = new SplitStats();
          stats.put(s, st);
          List<Sample> kept =
              writeSplit(
                  cfg,
                  src,
                  s,
                  bySplit.get(s),
                  size,
                  staging,
                  pool,
                  progress,
                  st,
                  seen,
                  duplicates,
                  warnings);
          for (int i = 0; i < kept.size(); i++) {
            Sample k = kept.get(i);
            csv.append(s.key())
                .append(',')
                .append(i)
                .append(',')
                .append(csvField(k.id()))
                .append(',')
                .append(Label.of(k.label()).name())
                .append(',')
                .append(csvField(k.patient()))
                .append('\n');
          }
          Map<String, Object> info = new LinkedHashMap<>();
          info.put("count", st.count());
          info.put("NORMAL", st.count(Label.NORMAL));
          info.put("PNEUMONIA", st.count(Label.PNEUMONIA));
          info.put("patients", kept.stream().map(Sample::patient).distinct().count());
          info.put("origin", origin.get(s));
          info.put("dropped_duplicates", st.droppedDuplicates());
          info.put("pixel_min", st.min());
          info.put("pixel_max", st.max());
          info.put("pixel_mean", round(st.mean()));
          info.put("x_sha256", Hashing.sha256(staging.resolve("x_" + s.key() + ".npy")));
          info.put("y_sha256", Hashing.sha256(staging.resolve("y_" + s.key() + ".npy")));
          splitInfo.put(s, info);
        }
      }
      warnings.addAll(DataValidator.check(stats, cfg.data().validation(), src.describe()));
      Map<String, Object> manifest = new LinkedHashMap<>();
      manifest.put("format", "cxr-prepared/1");
      manifest.put("image_size", size);
      manifest.put("x_layout", "float32 (N, 1, S, S), grayscale, values in [0, 1]");
      manifest.put("y_layout", "uint8 (N,), 0 = NORMAL, 1 = PNEUMONIA");
      manifest.put("seed", cfg.seed());
      Map<String, Object> splitsOut = new LinkedHashMap<>();
      for (Split s : Split.values()) {
        splitsOut.put(s.key(), splitInfo.get(s));
      }
      manifest.put("splits", splitsOut);
      manifest.put("warnings", warnings);
      manifest.put("dropped_duplicates", duplicates);
      Map<String, Object> srcInfo = new LinkedHashMap<>();
      srcInfo.put("kind", src.kind());
      srcInfo.put("path", source.toString());
      srcInfo.put("images", src.samples().size());
      srcInfo.put("sha256", src.sourceHashes());
      if ("folder".equals(src.kind())) {
        srcInfo.put("decoder", ImageDecoder.backend());
      }
      manifest.put("source", srcInfo);
      manifest.put(
          "data_config",
          ConfigLoader.flatten(cfg).entrySet().stream()
              // data.workers changes the speed, never the tensors
              .filter(e -> e.getKey().startsWith("data.") || e.getKey().equals("seed"))
              .filter(e -> !e.getKey().equals("data.workers"))
              .collect(LinkedHashMap::new, (m, e) -> m.put(e.getKey(), e.getValue()), Map::putAll));
      String manifestJson = Json.toJson(manifest);
      Files.writeString(staging.resolve(MANIFEST), manifestJson);
      Files.writeString(staging.resolve("samples.csv"), csv.toString());
      Files.writeString(staging.resolve("config.yaml"), ConfigLoader.toYaml(cfg));
      AtomicFiles.publishDir(staging, outDir);
      staging = null;
      for (String w : warnings) {
        reporter.warn(w);
      }
      return new Result(
          outDir,
          size,
          stats,
          origin,
          warnings,
          Hashing.sha256(manifestJson),
          (System.nanoTime() - t0) / 1e9);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      pool.shutdownNow();
      if (staging != null) {
        AtomicFiles.deleteRecursively(staging);
      }
    }
  }

  /** The side images are resized to: explicit, else the npz's own, else folder_image_size. */
  public static int imageSize(CxrConfig cfg, DataSource src) {
    int explicit = cfg.data().explicitImageSize();
    if (explicit > 0) {
      return explicit;
    }
    return src.nativeSize() > 0 ? src.nativeSize() : cfg.data().folderImageSize();
  }

  private static Map<Split, List<Sample>> assignSplits(
      CxrConfig cfg, DataSource src, Map<Split, String> origin, Reporter reporter) {
    Map<Split, List<Sample>> official = new EnumMap<>(Split.class);
    for (Split s : Split.values()) {
      official.put(s, new ArrayList<>());
    }
    List<Sample> pool = new ArrayList<>();
    for (Sample s : src.samples()) {
      if (s.split() == null || s.split() == Split.TRAIN) {
        pool.add(s);
      } else {
        official.get(s.split()).add(s);
      }
    }
    int min = cfg.data().minSplitImages();
    boolean carveVal = official.get(Split.VAL).size() < Math.max(1, min);
    boolean carveTest = official.get(Split.TEST).size() < Math.max(1, min);
    for (Split s : new Split[] {Split.VAL, Split.TEST}) {
      boolean carve = s == Split.VAL ? carveVal : carveTest;
      if (carve) {
        if (!official.get(s).isEmpty()) {
          reporter.warn(
              "the source's "
                  + s.key()
                  + " split has only "
                  + official.get(s).size()
                  + " images (< data.min_split_images="
                  + min
                  + "): merged into train and carved anew");
          pool.addAll(official.get(s));
          official.get(s).clear();
        }
        origin.put(s, "carved from train by patient, stratified, seed " + cfg.seed());
      } else {
        origin.put(s, "source");
      }
    }
    origin.put(Split.TRAIN, carveVal || carveTest ? "source train minus carved splits" : "source");
    Map<Split, List<Sample>> out = new EnumMap<>(Split.class);
    for (Split s : Split.values()) {
      out.put(s, new ArrayList<>(official.get(s)));
    }
    if (carveVal || carveTest) {
      for (Sample s :
          PatientSplitter.split(
              pool,
              carveVal ? cfg.data().valFraction() : 0,
              carveTest ? cfg.data().testFraction() : 0,
              cfg.seed())) {
        out.get(s.split()).add(s);
      }
      // keep the source's order inside each split
      Map<String, Integer> order = new HashMap<>();
      for (int i = 0; i < src.samples().size(); i++) {
        order.put(src.samples().get(i).id(), i);
      }
      out.values().forEach(l -> l.sort(java.util.Comparator.comparing(x -> order.get(x.id()))));
    } else {
      out.get(Split.TRAIN).addAll(pool.stream().map(x -> x.withSplit(Split.TRAIN)).toList());
    }
    return out;
  }

  private static List<Sample> cap(List<Sample> list, int max, long seed) {
    List<Sample> out = new ArrayList<>();
    for (int label = 0; label < 2; label++) {
      final int l = label;
      List<Sample> cls = new ArrayList<>(list.stream().filter(s -> s.label() == l).toList());
      if (cls.size() > max) {
        Collections.shuffle(cls, new Random(seed + 7919L * l));
        cls = cls.subList(0, max);
      }
      out.addAll(cls);
    }
    Map<String, Integer> order = new HashMap<>();
    for (int i = 0; i < list.size(); i++) {
      order.put(list.get(i).id(), i);
    }
    out.sort(java.util.Comparator.comparing(x -> order.get(x.id())));
    return out;
  }

  private static List<Sample> writeSplit(
      CxrConfig cfg,
      DataSource src,
      Split split,
      List<Sample> samples,
      int size,
      Path dir,
      ExecutorService pool,
      Reporter.Progress progress,
      SplitStats st,
      Map<String, String> seen,
      List<Map<String, String>> duplicates,
      List<String> warnings)
      throws IOException {
    String policy = cfg.data().validation().crossSplitDuplicates();
    Path raw = dir.resolve("x_" + split.key() + ".raw");
    List<Sample> kept = new ArrayList<>();
    int px = size * size;
    ByteBuffer bytes = ByteBuffer.allocate(CHUNK * px * 4).order(ByteOrder.LITTLE_ENDIAN);
    int warned = 0;
    try (FileChannel out =
        FileChannel.open(raw, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      // two chunks in flight: the workers decode chunk k+1 while this thread writes chunk k
      Chunk next = samples.isEmpty() ? null : Chunk.submit(src, samples, 0, size, pool);
      while (next != null) {
        Chunk chunk = next;
        int end = chunk.from + chunk.samples.size();
        next = end < samples.size() ? Chunk.submit(src, samples, end, size, pool) : null;
        bytes.clear();
        for (int i = 0; i < chunk.samples.size(); i++) {
          Sample s = chunk.samples.get(i);
          String hash = get(chunk.futures.get(i));
          String prev = seen.putIfAbsent(hash, split.key() + ":" + s.id());
          if (prev != null && !prev.startsWith(split.key() + ":")) {
            String msg =
                "image "
                    + s.id()
                    + " in "
                    + split.key()
                    + " is identical to "
                    + prev.substring(prev.indexOf(':') + 1)
                    + " in "
                    + prev.substring(0, prev.indexOf(':'));
            if ("error".equals(policy)) {
              throw new CxrException(
                  "duplicate images across splits: "
                      + msg
                      + " (expected "
                      + "disjoint splits; set data.validation.cross_split_duplicates=drop or warn)");
            }
            if ("drop".equals(policy)) {
              st.dropped();
              duplicates.add(Map.of("dropped", split.key() + ":" + s.id(), "same_as", prev));
              progress.step();
              continue;
            }
            if (warned++ < 5) {
              warnings.add("duplicate across splits: " + msg);
            }
          }
          st.add(chunk.x, i * px, px, s.label());
          kept.add(s);
          bytes.asFloatBuffer().put(chunk.x, i * px, px);
          bytes.position(bytes.position() + px * 4);
          progress.step();
        }
        bytes.flip();
        while (bytes.hasRemaining()) {
          out.write(bytes);
        }
      }
    }
    if (warned > 5) {
      warnings.add("... and " + (warned - 5) + " more duplicates across splits");
    }
    if (st.droppedDuplicates() > 0) {
      warnings.add(
          "dropped "
              + st.droppedDuplicates()
              + " images from "
              + split.key()
              + " that also appear in a held-out split");
    }
    Path x = dir.resolve("x_" + split.key() + ".npy");
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(x), 1 << 20);
        InputStream in = Files.newInputStream(raw)) {
      Npy.writeHeader(out, "<f4", kept.size(), 1, size, size);
      in.transferTo(out);
    }
    Files.delete(raw);
    try (OutputStream out =
        new BufferedOutputStream(Files.newOutputStream(dir.resolve("y_" + split.key() + ".npy")))) {
      Npy.writeHeader(out, "|u1", kept.size());
      for (Sample s : kept) {
        out.write(s.label());
      }
    }
    return kept;
  }

  /** A run of samples decoded by the pool into one buffer, each task also hashing its pixels. */
  private record Chunk(int from, List<Sample> samples, float[] x, List<Future<String>> futures) {
    private static final ThreadLocal<MessageDigest> SHA256 =
        ThreadLocal.withInitial(() -> Hashing.digest("SHA-256"));
    private static final ThreadLocal<ByteBuffer> BYTES = new ThreadLocal<>();

    static Chunk submit(
        DataSource src, List<Sample> all, int from, int size, ExecutorService pool) {
      List<Sample> samples = all.subList(from, Math.min(all.size(), from + CHUNK));
      int px = size * size;
      float[] x = new float[samples.size() * px];
      List<Future<String>> futures = new ArrayList<>(samples.size());
      for (int i = 0; i < samples.size(); i++) {
        Sample s = samples.get(i);
        int off = i * px;
        futures.add(
            pool.submit(
                () -> {
                  src.load(s, size, x, off);
                  return pixelHash(x, off, px);
                }));
      }
      return new Chunk(from, samples, x, futures);
    }

    /** SHA-256 of the image's little-endian float32 bytes (what the .npy holds). */
    private static String pixelHash(float[] x, int off, int px) {
      ByteBuffer b = BYTES.get();
      if (b == null || b.capacity() != px * 4) {
        b = ByteBuffer.allocate(px * 4).order(ByteOrder.LITTLE_ENDIAN);
        BYTES.set(b);
      }
      b.asFloatBuffer().put(x, off, px);
      MessageDigest md = SHA256.get();
      return HexFormat.of().formatHex(md.digest(b.array()));
    }
  }

  private static String get(Future<String> f) {
    try {
      return f.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CxrException("interrupted");
    }
  }

  private static String csvField(String s) {
    return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
  }

  private static double round(double v) {
    return Math.round(v * 1e6) / 1e6;
  }
}
