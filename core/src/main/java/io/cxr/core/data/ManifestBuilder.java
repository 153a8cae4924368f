package io.cxr.core.data;

import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.io.Json;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code manifest.json} of a prepared data set: layout, per-split counts, patients, pixel range and
 * file hashes, warnings, dropped duplicates, the source (with its hashes and decoder) and the data
 * config. Key order is fixed, so the same inputs give the same bytes (and DVC sees no change).
 */
public final class ManifestBuilder {
  public static final String FORMAT = "cxr-prepared/1";

  private final Map<Split, Map<String, Object>> splits = new EnumMap<>(Split.class);

  private List<Map<String, Object>> external = List.of();

  /** Records the external validation sets written ({@link ExternalSets}). */
  public ManifestBuilder external(List<Map<String, Object>> sets) {
    this.external = sets;
    return this;
  }

  /** Records a written split. */
  public ManifestBuilder split(Split s, SplitStats st, SplitWriter.Written written, String origin) {
    List<Sample> kept = written.kept();
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("count", st.count());
    info.put("NORMAL", st.count(Label.NORMAL));
    info.put("PNEUMONIA", st.count(Label.PNEUMONIA));
    info.put("patients", kept.stream().map(Sample::patient).distinct().count());
    info.put("origin", origin);
    info.put("dropped_duplicates", st.droppedDuplicates());
    info.put("pixel_min", st.min());
    info.put("pixel_max", st.max());
    info.put("pixel_mean", Math.round(st.mean() * 1e6) / 1e6);
    info.put("x_sha256", written.xSha256());
    info.put("y_sha256", written.ySha256());
    splits.put(s, info);
    return this;
  }

  /** The manifest as JSON. */
  public String json(
      CxrConfig cfg,
      int imageSize,
      DataSource src,
      Path source,
      List<String> warnings,
      List<Map<String, String>> droppedDuplicates) {
    Map<String, Object> manifest = new LinkedHashMap<>();
    manifest.put("format", FORMAT);
    manifest.put("image_size", imageSize);
    manifest.put("x_layout", "float32 (N, 1, S, S), grayscale, values in [0, 1]");
    manifest.put("y_layout", "uint8 (N,), 0 = NORMAL, 1 = PNEUMONIA");
    manifest.put("seed", cfg.seed());
    Map<String, Object> splitsOut = new LinkedHashMap<>();
    for (Split s : Split.values()) {
      splitsOut.put(s.key(), splits.get(s));
    }
    manifest.put("splits", splitsOut);
    if (!external.isEmpty()) {
      manifest.put("external", external);
    }
    manifest.put("warnings", warnings);
    manifest.put("dropped_duplicates", droppedDuplicates);
    Map<String, Object> srcInfo = new LinkedHashMap<>();
    srcInfo.put("kind", src.kind().key());
    srcInfo.put("path", source.toString());
    srcInfo.put("images", src.samples().size());
    srcInfo.put("sha256", src.sourceHashes());
    if (src.kind() == SourceKind.FOLDER) {
      srcInfo.put("decoder", ImageDecoder.backend());
    }
    if (src.crop() > 0) {
      srcInfo.put("crop", src.crop());
    }
    manifest.put("source", srcInfo);
    manifest.put(
        "data_config",
        ConfigLoader.flatten(cfg).entrySet().stream()
            // data.workers changes the speed, never the tensors
            .filter(e -> e.getKey().startsWith("data.") || e.getKey().equals("seed"))
            .filter(e -> !e.getKey().equals("data.workers"))
            // no external set: the manifest of a config from before data.external, byte for byte
            .filter(e -> !e.getKey().equals("data.external") || !cfg.data().external().isEmpty())
            .collect(LinkedHashMap::new, (m, e) -> m.put(e.getKey(), e.getValue()), Map::putAll));
    return Json.toJson(manifest);
  }
}
