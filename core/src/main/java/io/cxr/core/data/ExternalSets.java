package io.cxr.core.data;

import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Prepares the external validation sets of {@code data.external}: other collections' labelled
 * images, decoded exactly as the source was (same decoder, crop and size) into {@code
 * x_external_<name>.npy} / {@code y_external_<name>.npy} beside the source's splits, so training
 * can score them every epoch without decoding again.
 *
 * <p>An external set is only worth its name if it is independent of what the model learns from: one
 * missing a class (no AUC, no specificity) or sharing an image with the source's splits (same
 * decoded pixels: leakage) is refused, naming the set and the file.
 */
public final class ExternalSets {
  /** Folder names too generic to name a set alone ({@code .../external/val}): the parent joins. */
  private static final Set<String> GENERIC =
      Set.of("train", "val", "valid", "validation", "test", "images", "data", "chest_xray");

  private ExternalSets() {}

  /** A set to prepare: its name in metric keys, its path as configured, its opened source. */
  public record Planned(String name, String path, DataSource source, List<Sample> samples) {}

  /**
   * Opens every configured set and checks that both classes are present, before anything is
   * decoded.
   *
   * @param crop the source's crop, applied to image folders as prepare applies it to the source
   */
  public static List<Planned> plan(List<String> paths, double crop) {
    List<Planned> out = new ArrayList<>();
    Set<String> taken = new HashSet<>();
    for (String p : paths) {
      Path path = Path.of(p);
      DataSource opened;
      try {
        opened = Sources.open(path, false);
      } catch (CxrException e) {
        throw new CxrException("data.external " + p + ": " + e.getMessage(), e);
      }
      DataSource src = opened.kind() == SourceKind.FOLDER ? opened.withCrop(crop) : opened;
      List<Sample> samples = samples(src);
      int[] perClass = new int[2];
      samples.forEach(s -> perClass[s.label()]++);
      for (Label l : Label.values()) {
        if (perClass[l.index()] == 0) {
          throw new CxrException(
              "data.external "
                  + p
                  + ": no "
                  + l.name()
                  + " images (an external set needs both classes: "
                  + perClass[0]
                  + " NORMAL, "
                  + perClass[1]
                  + " PNEUMONIA found)");
        }
      }
      out.add(new Planned(name(path, taken), p, src, samples));
    }
    return out;
  }

  /** An npz's test split (its held-out images); every image of a folder. */
  static List<Sample> samples(DataSource src) {
    if (src.kind() == SourceKind.NPZ) {
      return src.samples().stream().filter(s -> s.split() == Split.TEST).toList();
    }
    return src.samples();
  }

  /**
   * The set's key: its file or folder name, lower-case letters, digits and '_', with the parent
   * folder's name before a generic one ({@code chest_xray_224_external/val} ->
   * chest_xray_224_external_val), numbered when taken.
   */
  static String name(Path path, Set<String> taken) {
    Path abs = path.toAbsolutePath().normalize();
    String base = abs.getFileName() == null ? "" : clean(stripExtension(abs.getFileName()));
    if (GENERIC.contains(base)
        && abs.getParent() != null
        && abs.getParent().getFileName() != null) {
      base = clean(abs.getParent().getFileName().toString()) + "_" + base;
    }
    if (base.isEmpty()) {
      base = "set";
    }
    String name = base;
    for (int i = 2; !taken.add(name); i++) {
      name = base + "_" + i;
    }
    return name;
  }

  private static String stripExtension(Path file) {
    String f = file.toString();
    int dot = f.lastIndexOf('.');
    return dot > 0 ? f.substring(0, dot) : f;
  }

  private static String clean(String s) {
    String c = s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_");
    return c.replaceAll("^_+|_+$", "");
  }

  /**
   * Decodes and writes each planned set into {@code dir}, refusing an image whose pixels equal one
   * written to a split of the source ({@code splits}, which has seen every split by now).
   *
   * @return the manifest's {@code external} entries, in order
   */
  public static List<Map<String, Object>> write(
      List<Planned> planned,
      int size,
      int workers,
      Path dir,
      CrossSplitDuplicates splits,
      Reporter reporter)
      throws IOException {
    List<Map<String, Object>> entries = new ArrayList<>();
    for (Planned p : planned) {
      SplitStats st = new SplitStats();
      SplitWriter.Written w;
      try (DecodeFeed feed =
              new DecodeFeed(
                  p.source(), size, workers, List.of(Split.TEST), Map.of(Split.TEST, p.samples()));
          Reporter.Progress progress =
              reporter.progress("prepare external " + p.name(), p.samples().size())) {
        w =
            SplitWriter.write(
                PreparedDataset.externalKey(p.name()),
                Split.TEST,
                p.samples(),
                size,
                dir,
                feed,
                (s, hash) -> admit(p, s, splits.holder(hash)),
                st,
                progress);
      }
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("name", p.name());
      e.put("path", p.path());
      e.put("kind", p.source().kind().key());
      e.put("count", st.count());
      e.put("NORMAL", st.count(Label.NORMAL));
      e.put("PNEUMONIA", st.count(Label.PNEUMONIA));
      e.put("pixel_mean", Math.round(st.mean() * 1e6) / 1e6);
      e.put("sha256", p.source().sourceHashes());
      e.put("x_sha256", w.xSha256());
      e.put("y_sha256", w.ySha256());
      entries.add(e);
    }
    return entries;
  }

  private static boolean admit(Planned p, Sample s, String holder) {
    if (holder != null) {
      int colon = holder.indexOf(':');
      throw new CxrException(
          "data.external "
              + p.path()
              + ": image "
              + s.id()
              + " is identical to "
              + holder.substring(colon + 1)
              + " in the source's "
              + holder.substring(0, colon)
              + " split (leakage: an external set must share no image with the data a model"
              + " is trained and selected on)");
    }
    return true;
  }
}
