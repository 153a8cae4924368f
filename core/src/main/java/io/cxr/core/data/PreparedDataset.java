package io.cxr.core.data;

import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.CxrException;
import io.cxr.core.io.Hashing;
import io.cxr.core.io.Json;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;

/** Reads what prepare wrote, checking shapes against the manifest. */
public final class PreparedDataset {
  public static final String MANIFEST = "manifest.json";

  private final Path dir;
  private final int imageSize;
  private final String manifestSha256;
  private final String decoder;
  private final Map<Split, Images> splits;

  /** One split in memory: images {@code n x size x size} in [0, 1], labels 0/1. */
  public record Images(float[] x, int[] y, int size) {
    public int n() {
      return y.length;
    }

    public int pixels() {
      return size * size;
    }

    /** A copy of image {@code i}. */
    public float[] image(int i) {
      return Arrays.copyOfRange(x, i * pixels(), (i + 1) * pixels());
    }
  }

  private final Map<String, String> source;

  private PreparedDataset(
      Path dir,
      int imageSize,
      String manifestSha256,
      String decoder,
      Map<String, String> source,
      Map<Split, Images> s) {
    this.decoder = decoder;
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
  }

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
              s,
              size,
              info.path("count").asInt(-1),
              info.path("x_sha256").asText(null),
              info.path("y_sha256").asText(null)));
    }
    String decoder = m.path("source").path("decoder").asText(null);
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
    return new PreparedDataset(dir, size, Hashing.sha256(manifest), decoder, source, splits);
  }

  private static Images read(
      Path dir, Split s, int size, int expected, String xSha256, String ySha256) {
    Path xf = dir.resolve("x_" + s.key() + ".npy");
    Path yf = dir.resolve("y_" + s.key() + ".npy");
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
    Npy.Array x;
    Npy.Array y;
    // the manifest's hashes are checked on the bytes as they are read: no second pass
    java.security.MessageDigest xmd = sha256();
    java.security.MessageDigest ymd = sha256();
    try (InputStream in =
            new java.security.DigestInputStream(
                new BufferedInputStream(Files.newInputStream(xf), 1 << 20), xmd);
        InputStream yin =
            new java.security.DigestInputStream(
                new BufferedInputStream(Files.newInputStream(yf)), ymd)) {
      x = Npy.read(in, xf.toString(), Files.size(xf));
      y = Npy.read(yin, yf.toString(), Files.size(yf));
      in.transferTo(OutputStream.nullOutputStream()); // trailing bytes count too
      yin.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      throw new CxrException("prepared data " + xf + ": cannot read (" + e.getMessage() + ")");
    }
    checkHash(xf, xSha256, xmd);
    checkHash(yf, ySha256, ymd);
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
    int[] labels = new int[xs[0]];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = (int) y.data()[i];
      if (labels[i] != 0 && labels[i] != 1) {
        throw new CxrException(
            yf + ": label " + y.data()[i] + " at row " + i + " (expected 0 or 1)");
      }
    }
    return new Images(x.data(), labels, size);
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
    float[] x = Arrays.copyOf(tr.x(), tr.x().length + va.x().length);
    System.arraycopy(va.x(), 0, x, tr.x().length, va.x().length);
    int[] y = Arrays.copyOf(tr.y(), tr.n() + va.n());
    System.arraycopy(va.y(), 0, y, tr.n(), va.n());
    Map<Split, Images> m = new EnumMap<>(splits);
    m.put(Split.TRAIN, new Images(x, y, tr.size()));
    return new PreparedDataset(dir, imageSize, manifestSha256, decoder, source, m);
  }

  public Images split(Split s) {
    return splits.get(s);
  }

  public int imageSize() {
    return imageSize;
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
