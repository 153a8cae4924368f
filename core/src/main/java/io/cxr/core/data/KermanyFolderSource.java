package io.cxr.core.data;

import io.cxr.core.CxrException;
import io.cxr.core.io.Hashing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Kermany layout: {@code root/{train,val,test}/{NORMAL,PNEUMONIA}/*.jpeg} (any subset of the
 * split folders, train required), or one labelled set {@code root/{NORMAL,PNEUMONIA}}. A root
 * holding a single {@code chest_xray} folder (the Kaggle archive) is descended into.
 */
public final class KermanyFolderSource implements DataSource {
  /** File endings read as images; anything else in a class folder is an error. */
  public static final List<String> IMAGE_ENDINGS = List.of(".jpeg", ".jpg", ".png");

  private static final Pattern PERSON = Pattern.compile("^(person\\d+)_", Pattern.CASE_INSENSITIVE);
  private static final Pattern NORMAL_IM =
      Pattern.compile("^((?:NORMAL\\d*-)?IM-\\d+)-", Pattern.CASE_INSENSITIVE);

  private static final ThreadLocal<MessageDigest> SHA256 =
      ThreadLocal.withInitial(() -> Hashing.digest("SHA-256"));

  private final Path root;
  private final Map<String, String> hashes = new ConcurrentHashMap<>();
  private final List<Sample> samples;
  private final Set<Split> splits;
  private final double crop;
  private final List<String> skipped;

  private KermanyFolderSource(
      Path root, List<Sample> samples, Set<Split> splits, double crop, List<String> skipped) {
    this.root = root;
    this.samples = samples;
    this.splits = splits;
    this.crop = crop;
    this.skipped = skipped;
  }

  /**
   * Folders the scan passed over, one warning each: a {@code COVID/} beside NORMAL/ and PNEUMONIA/
   * is not a class cxr knows, and is not silently dropped from the user's view.
   */
  @Override
  public List<String> warnings() {
    return skipped;
  }

  @Override
  public double crop() {
    return crop;
  }

  @Override
  public KermanyFolderSource withCrop(double crop) {
    return new KermanyFolderSource(root, samples, splits, crop, skipped);
  }

  /**
   * Scans a folder.
   *
   * @param requireTrain whether a split layout must have a train folder (prepare) or not (evaluate)
   */
  public static KermanyFolderSource open(Path folder, boolean requireTrain) {
    if (!Files.isDirectory(folder)) {
      throw new CxrException(
          "data folder "
              + folder
              + ": not found (expected a folder with "
              + "NORMAL/ and PNEUMONIA/, or train/, val/, test/ holding them)");
    }
    Path root = folder;
    if (!hasDir(root, "NORMAL") && !hasAnySplit(root) && hasDir(root, "chest_xray")) {
      root = root.resolve("chest_xray");
    }
    List<Sample> samples = new ArrayList<>();
    Set<Split> splits = EnumSet.noneOf(Split.class);
    List<String> skipped = new ArrayList<>();
    if (hasDir(root, "NORMAL") || hasDir(root, "PNEUMONIA")) {
      scanSet(root, root, null, samples);
      skipped.addAll(unknownFolders(root, CLASS_FOLDERS, "class"));
    } else if (hasAnySplit(root)) {
      if (requireTrain && !hasDir(root, "train")) {
        throw new CxrException(
            "data folder "
                + root
                + ": missing split folder 'train' "
                + "(expected train/{NORMAL,PNEUMONIA}; val/ and test/ are optional)");
      }
      for (Split s : Split.values()) {
        Path dir = root.resolve(s.key());
        if (Files.isDirectory(dir)) {
          scanSet(root, dir, s, samples);
          splits.add(s);
          skipped.addAll(unknownFolders(dir, CLASS_FOLDERS, "class"));
        }
      }
      skipped.addAll(unknownFolders(root, SPLIT_FOLDERS, "split"));
    } else {
      throw new CxrException(
          "data folder "
              + root
              + ": no NORMAL/ and PNEUMONIA/ folders and "
              + "no train/, val/ or test/ split folders (expected the Kermany chest_xray layout)");
    }
    return new KermanyFolderSource(root, List.copyOf(samples), splits, 0, List.copyOf(skipped));
  }

  private static final Set<String> CLASS_FOLDERS = Set.of("NORMAL", "PNEUMONIA");
  private static final Set<String> SPLIT_FOLDERS = Set.of("train", "val", "test");

  /**
   * A warning per sub-folder of {@code dir} that is not one of {@code known} (hidden folders and
   * the {@code __MACOSX} of zips made on a Mac are no data, and pass without a word).
   */
  private static List<String> unknownFolders(Path dir, Set<String> known, String what) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(Files::isDirectory)
          .map(p -> p.getFileName().toString())
          .filter(n -> !known.contains(n) && !n.startsWith(".") && !n.equals("__MACOSX"))
          .sorted()
          .map(
              n ->
                  "data folder "
                      + dir
                      + ": ignored folder '"
                      + n
                      + "' (not a "
                      + what
                      + " cxr reads; expected "
                      + String.join(", ", known.stream().sorted().toList())
                      + ")")
          .toList();
    } catch (IOException e) {
      throw new CxrException("data folder " + dir + ": cannot list (" + e.getMessage() + ")");
    }
  }

  private static void scanSet(Path root, Path dir, Split split, List<Sample> out) {
    for (Label label : Label.values()) {
      Path classDir = dir.resolve(label.name());
      if (!Files.isDirectory(classDir)) {
        throw new CxrException(
            "data folder "
                + dir
                + ": missing class folder '"
                + label.name()
                + "' (expected NORMAL/ and PNEUMONIA/)");
      }
      List<Path> files;
      try (Stream<Path> s = Files.list(classDir)) {
        files = s.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
      } catch (IOException e) {
        throw new CxrException(
            "data folder " + classDir + ": cannot list (" + e.getMessage() + ")");
      }
      int before = out.size();
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (Files.isDirectory(f)) {
          throw new CxrException(
              "data folder "
                  + classDir
                  + ": unexpected sub-folder '"
                  + name
                  + "' (expected only image files)");
        }
        if (!isImageName(name)) {
          throw new CxrException(
              "file "
                  + f
                  + ": not an image file name (expected "
                  + String.join(", ", IMAGE_ENDINGS)
                  + " in a class folder)");
        }
        String id = root.relativize(f).toString().replace('\\', '/');
        out.add(new Sample(id, label.index(), patientOf(name), split, f, -1));
      }
      if (out.size() == before) {
        throw new CxrException(
            "class folder "
                + classDir
                + ": empty (expected "
                + String.join(", ", IMAGE_ENDINGS)
                + " images of class "
                + label.name()
                + ")");
      }
    }
  }

  /** The patient of a Kermany file name: {@code personN} or {@code [NORMAL2-]IM-xxxx}. */
  public static String patientOf(String fileName) {
    Matcher m = PERSON.matcher(fileName);
    if (m.find()) {
      return m.group(1).toLowerCase(Locale.ROOT);
    }
    m = NORMAL_IM.matcher(fileName);
    if (m.find()) {
      return m.group(1).toUpperCase(Locale.ROOT);
    }
    int dot = fileName.lastIndexOf('.');
    return dot > 0 ? fileName.substring(0, dot) : fileName;
  }

  static boolean isImageName(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return IMAGE_ENDINGS.stream().anyMatch(lower::endsWith);
  }

  private static boolean hasDir(Path root, String name) {
    return Files.isDirectory(root.resolve(name));
  }

  private static boolean hasAnySplit(Path root) {
    for (Split s : Split.values()) {
      if (hasDir(root, s.key())) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String describe() {
    return "Kermany folder " + root;
  }

  @Override
  public SourceKind kind() {
    return SourceKind.FOLDER;
  }

  @Override
  public List<Sample> samples() {
    return samples;
  }

  @Override
  public Set<Split> splits() {
    return splits;
  }

  @Override
  public int nativeSize() {
    return -1;
  }

  @Override
  public void load(Sample sample, int size, float[] out, int offset) {
    ImageDecoder dec = ImageDecoder.forThread(size, crop);
    int n = dec.decodeFile(sample.file(), out, offset);
    // the manifest's content hash, from the bytes just read (no second pass over the files)
    MessageDigest md = SHA256.get();
    md.update(dec.encodedBytes(), 0, n);
    hashes.put(sample.id(), HexFormat.of().formatHex(md.digest()));
  }

  @Override
  public Map<String, String> sourceHashes() {
    Map<String, String> out = new LinkedHashMap<>();
    for (Sample s : samples) {
      out.put(s.id(), hashes.computeIfAbsent(s.id(), id -> Hashing.sha256(s.file())));
    }
    return out;
  }

  public Path root() {
    return root;
  }
}
