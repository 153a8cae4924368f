package io.cxr.core.data;

import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.CxrException;
import io.cxr.core.io.Hashing;
import io.cxr.core.io.Json;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Reads what prepare wrote, checking shapes against the manifest. */
public final class PreparedDataset {
  public static final String MANIFEST = "manifest.json";

  private final Path dir;
  private final int imageSize;
  private final String manifestSha256;
  private final String decoder;
  private final double crop;
  private final Map<Split, Images> splits;

  /**
   * One split: images {@code n x size x size} in [0, 1] ({@link Pixels}: read from the prepared
   * file a range at a time, or held in an array), labels 0/1.
   */
  public record Images(Pixels source, int[] y, int size) {
    /** Images held in an array. */
    public Images(float[] x, int[] y, int size) {
      this(Pixels.of(x, size * size), y, size);
    }

    public int n() {
      return y.length;
    }

    public int pixels() {
      return size * size;
    }

    /**
     * All images as one array: the array itself when they are held in memory, else read from the
     * file into a new one (call it once, not per image: {@link #image} reads one image).
     */
    public float[] x() {
      if (source instanceof Pixels.InMemory m) {
        return m.x();
      }
      float[] all = new float[n() * pixels()];
      source.read(0, n(), all, 0);
      return all;
    }

    /** A copy of image {@code i}. */
    public float[] image(int i) {
      float[] one = new float[pixels()];
      source.read(i, 1, one, 0);
      return one;
    }
  }

  private final Map<String, String> source;

  /**
   * An external validation set ({@code data.external}): another collection's labelled images,
   * prepared like the source (same decoder, crop and size), never trained on.
   *
   * @param name its key in metric names ({@code external_<name>_auc})
   * @param path the folder or npz it was prepared from, as configured
   */
  public record External(String name, String path, Images images) {}

  private final List<External> externals;

  private PreparedDataset(
      Path dir,
      int imageSize,
      String manifestSha256,
      String decoder,
      double crop,
      Map<String, String> source,
      Map<Split, Images> s,
      List<External> externals) {
    this.externals = externals;
    this.decoder = decoder;
    this.crop = crop;
    this.source = source;
    this.dir = dir;
    this.imageSize = imageSize;
    this.manifestSha256 = manifestSha256;
    this.splits = s;
  }

  /**
   * Refuses to let prepare replace {@code dir} unless it is absent, an empty folder, or an earlier
   * prepare output (its manifest.json says {@code cxr-prepared/...}): cxr never deletes or replaces
   * what it did not create.
   */
  public static void requireReplaceable(Path dir) {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    String refuse =
        "paths.prepared "
            + dir
            + ": %s; refusing to replace it (expected a new or empty folder, or an earlier `cxr"
            + " prepare` output)";
    if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      throw new CxrException(String.format(refuse, "exists and is not a folder"));
    }
    try (var entries = Files.list(dir)) {
      if (entries.findAny().isEmpty()) {
        return;
      }
    } catch (IOException e) {
      throw new CxrException(String.format(refuse, "cannot be listed (" + e.getMessage() + ")"));
    }
    Path manifest = dir.resolve(MANIFEST);
    String format = null;
    try {
      if (Files.isRegularFile(manifest)) {
        format = Json.JSON.readTree(manifest.toFile()).path("format").asText(null);
      }
    } catch (IOException e) {
      format = null;
    }
    if (format == null || !format.startsWith("cxr-prepared/")) {
      throw new CxrException(
          String.format(refuse, "holds files but no manifest.json of an earlier prepare"));
    }
    // replacing the folder would delete everything in it: only prepare's own files may be there
    try (var entries = Files.list(dir)) {
      Path foreign =
          entries
              .filter(
                  p ->
                      !Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                          || !OUTPUT_NAMES.matcher(p.getFileName().toString()).matches())
              .sorted()
              .findFirst()
              .orElse(null);
      if (foreign != null) {
        throw new CxrException(
            String.format(
                refuse, "holds " + foreign.getFileName() + ", which cxr prepare did not write"));
      }
    } catch (IOException e) {
      throw new CxrException(String.format(refuse, "cannot be listed (" + e.getMessage() + ")"));
    }
  }

  /** The files prepare writes into its folder (and its lock while it runs). */
  private static final java.util.regex.Pattern OUTPUT_NAMES =
      java.util.regex.Pattern.compile(
          "manifest\\.json|samples\\.csv|config\\.yaml|\\.cxr-lock|[xy]_[A-Za-z0-9._-]+\\.npy");

  /** Loads all three splits; errors say to run {@code cxr prepare}. */
  public static PreparedDataset load(Path dir) {
    Path manifest = dir.resolve(MANIFEST);
    if (!Files.isRegularFile(manifest)) {
      throw new CxrException(
          "prepared data " + dir + ": no " + MANIFEST + " (expected the output of `cxr prepare`)");
    }
    JsonNode m;
    try {
      m = Json.JSON.readTree(manifest.toFile());
    } catch (IOException e) {
      throw new CxrException("prepared data " + manifest + ": not valid JSON");
    }
    int size = m.path("image_size").asInt(-1);
    if (size <= 0) {
      throw new CxrException("prepared data " + manifest + ": missing image_size");
    }
    Map<Split, Images> splits = new EnumMap<>(Split.class);
    for (Split s : Split.values()) {
      var info = m.path("splits").path(s.key());
      splits.put(
          s,
          read(
              dir,
              s.key(),
              size,
              info.path("count").asInt(-1),
              info.path("x_sha256").asText(null),
              info.path("y_sha256").asText(null)));
    }
    String decoder = m.path("source").path("decoder").asText(null);
    // data prepared before crops existed, and every npz, were not cropped
    double crop = m.path("source").path("crop").asDouble(0);
    Map<String, String> source = new java.util.LinkedHashMap<>();
    String path = m.path("source").path("path").asText("");
    if (!path.isEmpty()) {
      // prepare records the path as given; DVC and users run train from the same folder
      source.put("data_source", Path.of(path).toAbsolutePath().normalize().toString());
    }
    var hashes = m.path("source").path("sha256");
    if (hashes.isObject() && hashes.size() == 1) {
      source.put("data_source_sha256", hashes.elements().next().asText());
    }
    List<External> externals = new ArrayList<>();
    for (JsonNode e : m.path("external")) {
      String name = e.path("name").asText("");
      externals.add(
          new External(
              name,
              e.path("path").asText(""),
              read(
                  dir,
                  externalKey(name),
                  size,
                  e.path("count").asInt(-1),
                  e.path("x_sha256").asText(null),
                  e.path("y_sha256").asText(null))));
    }
    return new PreparedDataset(
        dir, size, Hashing.sha256(manifest), decoder, crop, source, splits, List.copyOf(externals));
  }

  /** The file key of an external set: {@code x_<key>.npy}, {@code y_<key>.npy}. */
  public static String externalKey(String name) {
    return "external_" + name;
  }

  private static Images read(
      Path dir, String key, int size, int expected, String xSha256, String ySha256) {
    Path xf = dir.resolve("x_" + key + ".npy");
    Path yf = dir.resolve("y_" + key + ".npy");
    for (Path p : new Path[] {xf, yf}) {
      if (!Files.isRegularFile(p)) {
        throw new CxrException(
            "prepared data "
                + dir
                + ": missing "
                + p.getFileName()
                + " (expected the output of `cxr prepare`)");
      }
    }
    // the manifest's hashes are checked on the bytes as they are read: no second pass
    java.security.MessageDigest xmd = sha256();
    java.security.MessageDigest ymd = sha256();
    Npy.Array y = readLabels(yf, ymd);
    checkHash(yf, ySha256, ymd);
    XFile x = openX(xf, xmd, size);
    checkHash(xf, xSha256, xmd);
    if (x.firstNonFinite() >= 0) {
      throw new CxrException(
          "prepared data "
              + xf
              + ": image "
              + x.firstNonFinite()
              + " holds NaN or infinite pixel values (expected finite values in [0, 1]); re-run"
              + " `cxr prepare`");
    }
    int[] xs = x.shape();
    if (xs.length != 4 || xs[1] != 1 || xs[2] != size || xs[3] != size) {
      throw new CxrException(
          xf
              + ": shape "
              + Arrays.toString(xs)
              + " (expected (N, 1, "
              + size
              + ", "
              + size
              + ") as the manifest says)");
    }
    if (y.shape().length != 1 || y.shape()[0] != xs[0]) {
      throw new CxrException(
          yf
              + ": shape "
              + Arrays.toString(y.shape())
              + " (expected ("
              + xs[0]
              + ",) to match "
              + xf.getFileName()
              + ")");
    }
    if (expected >= 0 && expected != xs[0]) {
      throw new CxrException(xf + ": " + xs[0] + " images but the manifest says " + expected);
    }
    return new Images(x.pixels(), labels(yf, y, xs[0]), size);
  }

  /** The y file's array, hashing every byte of it into {@code md}. */
  private static Npy.Array readLabels(Path yf, java.security.MessageDigest md) {
    try (InputStream yin =
        new java.security.DigestInputStream(
            new BufferedInputStream(Files.newInputStream(yf)), md)) {
      Npy.Array y = Npy.read(yin, yf.toString(), Files.size(yf));
      yin.transferTo(OutputStream.nullOutputStream()); // trailing bytes count too
      return y;
    } catch (IOException e) {
      throw new CxrException("prepared data " + yf + ": cannot read (" + e.getMessage() + ")");
    }
  }

  /** The labels as ints, each 0 or 1. */
  private static int[] labels(Path yf, Npy.Array y, int n) {
    int[] labels = new int[n];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = (int) y.data()[i];
      if (labels[i] != 0 && labels[i] != 1) {
        throw new CxrException(
            yf + ": label " + y.data()[i] + " at row " + i + " (expected 0 or 1)");
      }
    }
    return labels;
  }

  /**
   * The header's shape and the images of an x file; {@code firstNonFinite}: the index of the first
   * image holding a NaN or infinite value, or -1.
   */
  private record XFile(int[] shape, Pixels pixels, long firstNonFinite) {}

  /**
   * Opens {@code x_<split>.npy}, hashing all its bytes into {@code md}. Float32 little-endian (what
   * prepare writes) stays in the file and is read from the same open descriptor when used; any
   * other dtype is read into memory.
   */
  private static XFile openX(Path xf, java.security.MessageDigest md, int size) {
    RandomAccessFile raf = null;
    try {
      raf = new RandomAccessFile(xf.toFile(), "r");
      long length = raf.length();
      byte[] head = new byte[(int) Math.min(length, Npy.MAX_HEADER + 12L)];
      raf.readFully(head);
      Npy.Header h =
          Npy.readHeader(new DataInputStream(new ByteArrayInputStream(head)), xf.toString());
      if (!"<f4".equals(h.dtype())) {
        raf.close();
        Npy.Array a;
        try (InputStream in =
            new java.security.DigestInputStream(
                new BufferedInputStream(Files.newInputStream(xf), 1 << 20), md)) {
          a = Npy.read(in, xf.toString(), Files.size(xf));
          in.transferTo(OutputStream.nullOutputStream());
        }
        float[] d = a.data();
        long bad = -1;
        for (int i = 0; i < d.length && bad < 0; i++) {
          bad = Float.isFinite(d[i]) ? -1 : i / ((long) size * size);
        }
        return new XFile(a.shape(), Pixels.of(d, size * size), bad);
      }
      long n = Npy.elements(h.shape(), xf.toString());
      long present = length - h.length();
      if (present < n * Float.BYTES) {
        throw Npy.truncated(xf.toString(), h, n * Float.BYTES, Math.max(0, present));
      }
      int[] shape = h.shape();
      int images = shape.length == 4 ? shape[0] : 0;
      int px = shape.length == 4 ? shape[2] * shape[3] : size * size;
      long bad = hashAndScan(raf, head, h.length(), length, md, px);
      RandomAccessFile open = raf;
      raf = null; // kept open: the pixels are read from it
      return new XFile(shape, new PixelFile(open, xf.toString(), h.length(), px, images), bad);
    } catch (IOException e) {
      throw new CxrException("prepared data " + xf + ": cannot read (" + e.getMessage() + ")");
    } finally {
      if (raf != null) {
        try {
          raf.close();
        } catch (IOException ignored) {
          // nothing was read from it
        }
      }
    }
  }

  /**
   * One pass over a float32 x file: every byte into {@code md}, and the index of the first image
   * holding a NaN or infinite value (-1 if none). Edited data would otherwise train into NaN
   * losses, reported as a divergence.
   */
  private static long hashAndScan(
      RandomAccessFile raf,
      byte[] head,
      int headerLength,
      long length,
      java.security.MessageDigest md,
      int px)
      throws IOException {
    md.update(head, 0, headerLength);
    raf.seek(headerLength);
    byte[] chunk = new byte[1 << 20];
    long bad = -1;
    long at = 0; // floats read
    for (long left = length - headerLength; left > 0; ) {
      int got = (int) Math.min(chunk.length, left);
      raf.readFully(chunk, 0, got);
      md.update(chunk, 0, got);
      for (int i = 0; bad < 0 && i + 3 < got; i += 4, at++) {
        // float32 exponent all ones: NaN or infinity (little-endian: bytes 3 and 2 hold it)
        if ((chunk[i + 3] & 0x7f) == 0x7f && (chunk[i + 2] & 0x80) != 0) {
          bad = at / px;
        }
      }
      left -= got;
    }
    return bad;
  }

  private static java.security.MessageDigest sha256() {
    try {
      return java.security.MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void checkHash(Path file, String expected, java.security.MessageDigest md) {
    if (expected == null) {
      return; // a manifest from before hashes were recorded
    }
    String actual = java.util.HexFormat.of().formatHex(md.digest());
    if (!actual.equals(expected)) {
      throw new CxrException(
          "prepared data "
              + file
              + ": SHA-256 "
              + actual.substring(0, 12)
              + "... differs from the manifest's "
              + expected.substring(0, Math.min(12, expected.length()))
              + "... (the file was changed or swapped after `cxr prepare`; run prepare again)");
    }
  }

  /** A view whose train split is train + val (for refitting a chosen configuration). */
  public PreparedDataset withValMergedIntoTrain() {
    Images tr = splits.get(Split.TRAIN);
    Images va = splits.get(Split.VAL);
    int[] y = Arrays.copyOf(tr.y(), tr.n() + va.n());
    System.arraycopy(va.y(), 0, y, tr.n(), va.n());
    Map<Split, Images> m = new EnumMap<>(splits);
    m.put(Split.TRAIN, new Images(Pixels.concat(tr.source(), tr.n(), va.source()), y, tr.size()));
    return new PreparedDataset(dir, imageSize, manifestSha256, decoder, crop, source, m, externals);
  }

  /** The external validation sets, in {@code data.external}'s order (empty: none). */
  public List<External> externals() {
    return externals;
  }

  /**
   * The external sets as one (what choices on external data are made on), or null when there is
   * none; one set is itself.
   */
  public Images externalPooled() {
    if (externals.isEmpty()) {
      return null;
    }
    Images all = externals.get(0).images();
    for (External e : externals.subList(1, externals.size())) {
      Images next = e.images();
      int[] y = Arrays.copyOf(all.y(), all.n() + next.n());
      System.arraycopy(next.y(), 0, y, all.n(), next.n());
      all = new Images(Pixels.concat(all.source(), all.n(), next.source()), y, all.size());
    }
    return all;
  }

  public Images split(Split s) {
    return splits.get(s);
  }

  public int imageSize() {
    return imageSize;
  }

  /**
   * The share of each side cut off the source images before resizing ({@code data.crop}; 0: none).
   */
  public double crop() {
    return crop;
  }

  /** The JPEG decoder that made the pixels (from the manifest), or null for npz sources. */
  public String decoder() {
    return decoder;
  }

  /**
   * Where the prepared images came from: {@code data_source} (absolute path) and, for a one-file
   * source such as an npz, {@code data_source_sha256}.
   */
  public Map<String, String> source() {
    return source;
  }

  public String manifestSha256() {
    return manifestSha256;
  }

  public Path dir() {
    return dir;
  }
}
