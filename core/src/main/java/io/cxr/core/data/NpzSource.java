package io.cxr.core.data;

import io.cxr.core.CxrException;
import io.cxr.core.io.Hashing;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A MedMNIST {@code pneumoniamnist*.npz}: keys {@code {train,val,test}_images} of shape {@code (N,
 * S, S)} (or {@code (N, S, S, C)}) and {@code {train,val,test}_labels} of shape {@code (N,)} or
 * {@code (N, 1)} with values 0 (normal) and 1 (pneumonia).
 */
public final class NpzSource implements DataSource {
  private final Path file;
  private final int side;
  private final Map<Split, float[]> images;
  private final List<Sample> samples;
  private final double crop;

  private NpzSource(
      Path file, int side, Map<Split, float[]> images, List<Sample> samples, double crop) {
    this.file = file;
    this.side = side;
    this.images = images;
    this.samples = samples;
    this.crop = crop;
  }

  /** Reads and checks the whole file (MedMNIST files are small). */
  public static NpzSource open(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new CxrException("npz " + file + ": not found (expected a MedMNIST .npz file)");
    }
    String name = "npz " + file;
    Map<Split, float[]> images = new EnumMap<>(Split.class);
    List<Sample> samples = new ArrayList<>();
    int side = -1;
    try (ZipFile zip = new ZipFile(file.toFile())) {
      for (Split s : Split.values()) {
        ZipEntry xe = zip.getEntry(s.key() + "_images.npy");
        ZipEntry ye = zip.getEntry(s.key() + "_labels.npy");
        if (xe == null && ye == null && s != Split.TRAIN) {
          continue;
        }
        if (xe == null || ye == null) {
          String missing = (xe == null ? s.key() + "_images" : s.key() + "_labels");
          throw new CxrException(
              name
                  + ": missing key '"
                  + missing
                  + "' (expected train_images, "
                  + "train_labels and optionally val_* and test_*; found "
                  + keys(zip)
                  + ")");
        }
        Npy.Array x = read(zip, xe, name);
        Npy.Array y = read(zip, ye, name);
        side = checkShapes(name, s, x.shape(), y.shape(), side);
        images.put(s, pixels(name, s, x, side));
        int[] labels = labels(name, s, y);
        for (int i = 0; i < labels.length; i++) {
          // MedMNIST has no patient ids: each image is its own group
          samples.add(new Sample(s.key() + ":" + i, labels[i], s.key() + ":" + i, s, null, i));
        }
      }
    } catch (ZipException e) {
      throw new CxrException(name + ": not a valid npz/zip archive (" + e.getMessage() + ")");
    } catch (IllegalArgumentException e) {
      // the JDK's zip reader on a malformed entry name
      throw new CxrException(name + ": not a valid npz/zip archive (malformed entry name)");
    } catch (IOException e) {
      throw new CxrException(name + ": cannot read (" + e.getMessage() + ")");
    }
    return new NpzSource(file, side, images, List.copyOf(samples), 0);
  }

  /** Checks a split's image and label shapes; returns the image side. */
  private static int checkShapes(String name, Split s, int[] xs, int[] ys, int side) {
    boolean okShape =
        (xs.length == 3 || (xs.length == 4 && (xs[3] == 1 || xs[3] == 3)))
            && xs[1] == xs[2]
            && xs[1] > 0;
    if (!okShape) {
      throw new CxrException(
          name
              + ": key '"
              + s.key()
              + "_images' has shape "
              + Arrays.toString(xs)
              + " (expected (N, S, S) or (N, S, S, C) square images)");
    }
    if (side >= 0 && xs[1] != side) {
      throw new CxrException(
          name
              + ": key '"
              + s.key()
              + "_images' has side "
              + xs[1]
              + " but other splits have "
              + side
              + " (expected one image size)");
    }
    boolean okLabels = (ys.length == 1 || (ys.length == 2 && ys[1] == 1));
    if (!okLabels || ys[0] != xs[0]) {
      throw new CxrException(
          name
              + ": key '"
              + s.key()
              + "_labels' has shape "
              + Arrays.toString(ys)
              + " (expected ("
              + xs[0]
              + ",) or ("
              + xs[0]
              + ", 1) to match "
              + s.key()
              + "_images)");
    }
    return xs[1];
  }

  /** A split's pixels, grayscale, on MedMNIST's 0..255 scale. */
  private static float[] pixels(String name, Split s, Npy.Array x, int side) {
    int[] xs = x.shape();
    float[] px = xs.length == 4 && xs[3] == 3 ? toGray(x.data(), xs[0] * side * side) : x.data();
    float max = 0;
    for (float v : px) {
      if (Float.isNaN(v) || v < 0) {
        throw new CxrException(
            name
                + ": key '"
                + s.key()
                + "_images' has a value "
                + v
                + " (expected pixels in 0..255)");
      }
      max = Math.max(max, v);
    }
    if (max <= 1.0f && !x.dtype().endsWith("u1")) {
      for (int i = 0; i < px.length; i++) {
        px[i] *= 255f; // a float array in [0, 1]: bring it to the 0..255 scale of MedMNIST
      }
    }
    return px;
  }

  /** A split's labels, each 0 (normal) or 1 (pneumonia). */
  private static int[] labels(String name, Split s, Npy.Array y) {
    float[] values = y.data();
    int[] labels = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      int l = (int) values[i];
      if (l != values[i] || (l != 0 && l != 1)) {
        throw new CxrException(
            name
                + ": key '"
                + s.key()
                + "_labels' has value "
                + values[i]
                + " at row "
                + i
                + " (expected 0 = normal or 1 = pneumonia)");
      }
      labels[i] = l;
    }
    return labels;
  }

  private static float[] toGray(float[] rgb, int pixels) {
    float[] out = new float[pixels];
    for (int i = 0; i < pixels; i++) {
      out[i] = (rgb[3 * i] + rgb[3 * i + 1] + rgb[3 * i + 2]) / 3f;
    }
    return out;
  }

  /** Deflated entries may expand this many times at most (image arrays: about 1.1x). */
  static final long MAX_EXPANSION = 100;

  /** Entries smaller than this are not checked for expansion (sorted labels deflate 40x). */
  static final long EXPANSION_FLOOR = 16L << 20;

  private static Npy.Array read(ZipFile zip, ZipEntry e, String name) throws IOException {
    long size = e.getSize();
    long packed = e.getCompressedSize();
    if (size > EXPANSION_FLOOR && packed >= 0 && size > MAX_EXPANSION * Math.max(1, packed)) {
      // a few MB of zeros declaring a million images: refuse before a byte is allocated
      throw new CxrException(
          String.format(
              java.util.Locale.ROOT,
              "%s key '%s': expands from %,d to %,d bytes (over %dx: not image data; refusing a"
                  + " decompression bomb)",
              name,
              e.getName().replace(".npy", ""),
              packed,
              size,
              MAX_EXPANSION));
    }
    try (InputStream in = zip.getInputStream(e)) {
      // the central directory's size (-1 when it has none) lets the array stream in chunks
      return Npy.read(in, name + " key '" + e.getName().replace(".npy", "") + "'", e.getSize());
    }
  }

  private static String keys(ZipFile zip) {
    List<String> k = new ArrayList<>();
    zip.stream().forEach(e -> k.add(e.getName().replace(".npy", "")));
    return k.isEmpty() ? "no keys" : String.join(", ", k);
  }

  @Override
  public String describe() {
    return "MedMNIST npz " + file + " (" + side + "x" + side + ")";
  }

  @Override
  public SourceKind kind() {
    return SourceKind.NPZ;
  }

  @Override
  public List<Sample> samples() {
    return samples;
  }

  @Override
  public Set<Split> splits() {
    return images.isEmpty() ? Set.of() : EnumSet.copyOf(images.keySet());
  }

  @Override
  public int nativeSize() {
    return side;
  }

  @Override
  public void load(Sample sample, int size, float[] out, int offset) {
    // the array the sample came from: its identity (split:row in the npz), never the split it
    // was assigned to since (prepare moves samples to carved splits)
    float[] all = images.get(origin(sample));
    // the kept box (the whole image without a crop), copied row by row straight from the array
    int cut = (int) Math.round(side * crop);
    int kept = side - 2 * cut;
    int base = sample.index() * side * side;
    float[] box = new float[kept * kept];
    for (int r = 0; r < kept; r++) {
      System.arraycopy(all, base + (r + cut) * side + cut, box, r * kept, kept);
    }
    System.arraycopy(ImageDecoder.resizeGray(box, kept, size), 0, out, offset, size * size);
  }

  @Override
  public double crop() {
    return crop;
  }

  /**
   * This npz with {@code crop} cut off each side of every image before resizing: what {@code
   * evaluate} does for a model trained on cropped images. {@code prepare} keeps an npz whole.
   */
  @Override
  public NpzSource withCrop(double crop) {
    return new NpzSource(file, side, images, samples, crop);
  }

  /** The npz split whose arrays hold {@code sample} (from its id, {@code <split>:<row>}). */
  private Split origin(Sample sample) {
    String id = sample.id();
    int colon = id.indexOf(':');
    for (Split s : images.keySet()) {
      if (colon > 0 && s.key().equals(id.substring(0, colon))) {
        return s;
      }
    }
    throw new CxrException("npz " + file + ": holds no sample '" + id + "'");
  }

  @Override
  public Map<String, String> sourceHashes() {
    return Map.of(file.getFileName().toString(), Hashing.sha256(file));
  }
}
