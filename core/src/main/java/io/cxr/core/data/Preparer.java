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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;

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
    if ("folder".equals(src.kind()) && !ImageDecoder.fastJpeg()) {
      reporter.warn(
          "decoding JPEGs with OpenCV's bundled libjpeg (about 1.5x slower): "
              + ImageDecoder.backend().substring(ImageDecoder.backend().lastIndexOf("; ") + 2)
              + "; install libturbojpeg0 for the fast path");
    }
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
    // `workers` threads decode: this one (which also writes, in order) and a pool of the others;
    // with one worker everything runs here, with no hand-off
    ExecutorService pool = workers == 1 ? null : decodePool(workers - 1);
    Feed feed = null;
    try {
      Map<Split, SplitStats> stats = new EnumMap<>(Split.class);
      Split[] order = {Split.TEST, Split.VAL, Split.TRAIN};
      feed = new Feed(src, size, pool, order, bySplit);
      Map<Split, Map<String, Object>> splitInfo = new EnumMap<>(Split.class);
      Map<String, String> seen = new HashMap<>(); // content hash -> "split:id"
      List<Map<String, String>> duplicates = new ArrayList<>();
      List<String> warnings = new ArrayList<>();
      StringBuilder csv = new StringBuilder("split,index,id,label,patient\n");
      long total = bySplit.values().stream().mapToLong(List::size).sum();
      try (Reporter.Progress progress = reporter.progress("prepare", total)) {
        // held-out splits first, so a duplicate is dropped from the split that is trained on
        for (Split s : order) {
          SplitStats st = new SplitStats();
          stats.put(s, st);
          Written written =
              writeSplit(
                  cfg,
                  src,
                  s,
                  bySplit.get(s),
                  size,
                  staging,
                  feed,
                  progress,
                  st,
                  seen,
                  duplicates,
                  warnings);
          List<Sample> kept = written.kept();
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
          info.put("x_sha256", written.xSha256());
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
      if (feed != null) {
        feed.cancel();
      }
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

  private static Written writeSplit(
      CxrConfig cfg,
      DataSource src,
      Split split,
      List<Sample> samples,
      int size,
      Path dir,
      Feed feed,
      Reporter.Progress progress,
      SplitStats st,
      Map<String, String> seen,
      List<Map<String, String>> duplicates,
      List<String> warnings)
      throws IOException {
    String policy = cfg.data().validation().crossSplitDuplicates();
    Path x = dir.resolve("x_" + split.key() + ".npy");
    List<Sample> kept = new ArrayList<>();
    int px = size * size;
    int warned = 0;
    // the .npy is written in one pass and hashed while written; its header assumes no image is
    // dropped and is rewritten in place (same length) if one is
    byte[] header = Npy.header("<f4", 0, samples.size(), 1, size, size);
    MessageDigest fileMd = Hashing.digest("SHA-256");
    fileMd.update(header);
    String xSha256;
    try (FileChannel out =
        FileChannel.open(x, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      out.write(ByteBuffer.wrap(header));
      // the feed keeps one chunk decoding ahead of this one, across split boundaries too
      for (Chunk chunk = feed.take(split); chunk != null; chunk = feed.take(split)) {
        int runStart = 0;
        int runEnd = 0;
        for (int i = 0; i < chunk.samples.size(); i++) {
          Sample s = chunk.samples.get(i);
          FutureTask<String> task = chunk.futures.get(i);
          task.run(); // decodes it here unless a pool thread has taken it (then a no-op)
          // while a pool thread finishes it, decode from the far end rather than wait
          while (!task.isDone() && chunk.back > i + 1) {
            chunk.futures.get(--chunk.back).run();
          }
          String hash = get(task);
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
              // ordered: Map.of's order changes from JVM to JVM, and with it the manifest's hash
              Map<String, String> dup = new LinkedHashMap<>();
              dup.put("dropped", split.key() + ":" + s.id());
              dup.put("same_as", prev);
              duplicates.add(dup);
              progress.step();
              continue;
            }
            if (warned++ < 5) {
              warnings.add("duplicate across splits: " + msg);
            }
          }
          st.add(chunk.stats[i], s.label());
          kept.add(s);
          if (runEnd != i) { // a dropped image ends the run of images to write
            writeRun(out, fileMd, chunk.le, runStart * px * 4, runEnd * px * 4);
            runStart = i;
          }
          runEnd = i + 1;
          progress.step();
        }
        writeRun(out, fileMd, chunk.le, runStart * px * 4, runEnd * px * 4);
      }
      if (kept.size() == samples.size()) {
        xSha256 = HexFormat.of().formatHex(fileMd.digest());
      } else {
        ByteBuffer h =
            ByteBuffer.wrap(Npy.header("<f4", header.length, kept.size(), 1, size, size));
        if (h.remaining() != header.length) {
          throw new IllegalStateException("npy header grew from " + header.length);
        }
        out.write(h, 0);
        xSha256 = null;
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
    try (OutputStream out =
        new BufferedOutputStream(Files.newOutputStream(dir.resolve("y_" + split.key() + ".npy")))) {
      Npy.writeHeader(out, "|u1", kept.size());
      for (Sample s : kept) {
        out.write(s.label());
      }
    }
    return new Written(kept, xSha256 != null ? xSha256 : Hashing.sha256(x));
  }

  private static void writeRun(FileChannel out, MessageDigest md, byte[] b, int from, int to)
      throws IOException {
    if (to > from) {
      md.update(b, from, to - from);
      ByteBuffer buf = ByteBuffer.wrap(b, from, to - from);
      while (buf.hasRemaining()) {
        out.write(buf);
      }
    }
  }

  /** A split's kept samples and the SHA-256 of its x .npy. */
  private record Written(List<Sample> kept, String xSha256) {}

  private static final Map<Integer, ExecutorService> POOLS = new ConcurrentHashMap<>();

  /** Daemon decode threads, kept for the JVM's life (their decoders and buffers with them). */
  private static ExecutorService decodePool(int threads) {
    return POOLS.computeIfAbsent(
        threads,
        n ->
            Executors.newFixedThreadPool(
                n,
                r -> {
                  Thread t = new Thread(r, "cxr-decode");
                  t.setDaemon(true);
                  return t;
                }));
  }

  /**
   * The decode pipeline over all splits in writing order: one chunk is always submitted ahead of
   * the one being written, across split boundaries too, so the pool never waits for the writer to
   * start the next split. Two buffers alternate: chunk n+1 fills the buffer of chunk n-1, which the
   * writer has finished by the time it takes chunk n.
   */
  private static final class Feed {
    private final DataSource src;
    private final int size;
    private final ExecutorService pool;
    private final Split[] order;
    private final Map<Split, List<Sample>> bySplit;
    private final byte[][] buffers;
    private int count;
    private int splitIndex;
    private int from;
    private Chunk ahead;

    Feed(
        DataSource src,
        int size,
        ExecutorService pool,
        Split[] order,
        Map<Split, List<Sample>> bySplit) {
      this.src = src;
      this.size = size;
      this.pool = pool;
      this.order = order;
      this.bySplit = bySplit;
      this.buffers =
          new byte[][] {new byte[CHUNK * size * size * 4], new byte[CHUNK * size * size * 4]};
      this.ahead = submitNext();
    }

    private Chunk submitNext() {
      while (splitIndex < order.length && from >= bySplit.get(order[splitIndex]).size()) {
        splitIndex++;
        from = 0;
      }
      if (splitIndex >= order.length) {
        return null;
      }
      Chunk c =
          Chunk.submit(
              src,
              order[splitIndex],
              bySplit.get(order[splitIndex]),
              from,
              size,
              pool,
              buffers[count++ & 1]);
      from += c.samples.size();
      return c;
    }

    /** The next chunk of {@code split}, or null when it has none left. */
    Chunk take(Split split) {
      if (ahead == null || ahead.split != split) {
        return null;
      }
      Chunk c = ahead;
      ahead = submitNext();
      return c;
    }

    /** Stops work not yet started (after a failure). */
    void cancel() {
      if (ahead != null) {
        ahead.futures.forEach(f -> f.cancel(false));
      }
    }
  }

  /**
   * A run of samples decoded into one buffer of little-endian float32 (the .npy layout). Each task
   * decodes, summarises, converts and hashes its image, so the writing thread only checks, hashes
   * the file and writes. Without a pool (one worker) the tasks run on the calling thread.
   */
  private static final class Chunk {
    private static final ThreadLocal<MessageDigest> SHA256 =
        ThreadLocal.withInitial(() -> Hashing.digest("SHA-256"));
    private static final ThreadLocal<float[]> PIXELS = new ThreadLocal<>();

    final Split split;
    final List<Sample> samples;
    final byte[] le;
    final SplitStats.Image[] stats;
    final List<FutureTask<String>> futures;
    int back; // the writing thread decodes from here downwards while it would otherwise wait

    private Chunk(Split split, List<Sample> samples, byte[] buffer) {
      this.split = split;
      this.samples = samples;
      this.le = buffer;
      this.stats = new SplitStats.Image[samples.size()];
      this.futures = new ArrayList<>(samples.size());
      this.back = samples.size();
    }

    /** Submits the chunk starting at {@code from}; {@code buffer} holds CHUNK images. */
    static Chunk submit(
        DataSource src,
        Split split,
        List<Sample> all,
        int from,
        int size,
        ExecutorService pool,
        byte[] buffer) {
      Chunk c = new Chunk(split, all.subList(from, Math.min(all.size(), from + CHUNK)), buffer);
      for (int i = 0; i < c.samples.size(); i++) {
        int k = i;
        FutureTask<String> task = new FutureTask<>(() -> c.load(src, k, size));
        c.futures.add(task);
        if (pool != null) {
          pool.execute(task); // else the writing thread runs it when it gets there
        }
      }
      return c;
    }

    /** Decodes sample k, returns the SHA-256 of its little-endian float32 pixels. */
    private String load(DataSource src, int k, int size) {
      int px = size * size;
      float[] img = PIXELS.get();
      if (img == null || img.length != px) {
        img = new float[px];
        PIXELS.set(img);
      }
      src.load(samples.get(k), size, img, 0);
      stats[k] = SplitStats.Image.of(img, 0, px);
      ByteBuffer.wrap(le, k * px * 4, px * 4)
          .order(ByteOrder.LITTLE_ENDIAN)
          .asFloatBuffer()
          .put(img, 0, px);
      MessageDigest md = SHA256.get();
      md.update(le, k * px * 4, px * 4);
      return HexFormat.of().formatHex(md.digest());
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
