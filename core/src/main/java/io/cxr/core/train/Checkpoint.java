package io.cxr.core.train;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.CxrException;
import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.eval.EpochRecord;
import io.cxr.core.io.AtomicFiles;
import io.cxr.core.io.Json;
import io.cxr.core.model.Backend;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A training checkpoint, written after every epoch into one folder published at once: the network
 * with its updater state (Adam's moments and step count), the early-stopping state with the best
 * epoch's weights, the epoch history, and what it was trained with (the resolved config, the data
 * manifest, the tracked run). Each epoch's shuffle, augmentation and dropout draw from generators
 * seeded by (seed, epoch), so a run resumed from epoch k's checkpoint continues exactly as the
 * uninterrupted run would have.
 */
public final class Checkpoint {
  static final String FORMAT = "cxr-checkpoint/1";
  static final String NETWORK = "network.zip";
  static final String BEST = "best-weights.bin";
  static final String STATE = "state.json";

  private Checkpoint() {}

  /**
   * Where checkpoints go and whether to start from one.
   *
   * @param dir the checkpoint folder, or null for none (search trials)
   * @param resume start from the checkpoint in {@code dir}
   * @param extra stored with the checkpoint (the tracked run's ids)
   */
  public record Plan(Path dir, boolean resume, Map<String, String> extra) {
    public static final Plan NONE = new Plan(null, false, Map.of());
  }

  /**
   * The checkpoint folder of ensemble member {@code m}: the plan's own folder for the first (so a
   * single network's checkpoint is where it always was), a sibling {@code <dir>-member-<m>} for the
   * others. Resuming, a member that has no checkpoint yet (it had not started) trains afresh; one
   * that finished is restored without another epoch.
   */
  static Plan member(Plan plan, int m) {
    if (plan.dir() == null) {
      return plan;
    }
    Path dir = memberDir(plan.dir(), m);
    boolean resume = plan.resume() && (m == 0 || Files.isRegularFile(dir.resolve(STATE)));
    return new Plan(dir, resume, plan.extra());
  }

  static Path memberDir(Path dir, int m) {
    return m == 0 ? dir : dir.resolveSibling(dir.getFileName() + "-member-" + m);
  }

  /** Removes the checkpoints of every member of an ensemble of {@code members} networks. */
  public static void deleteAll(Path dir, int members) {
    for (int m = 0; m < members; m++) {
      AtomicFiles.deleteRecursively(memberDir(dir, m));
    }
  }

  /** What a checkpoint holds besides the tensors. */
  public record State(
      String format,
      int epoch,
      @JsonAlias("bestAuc") double bestScore, // AUC, or minus the log-loss (EarlyStopping)
      int bestEpoch,
      int stale,
      double seconds,
      List<EpochRecord> history,
      Map<String, String> config,
      String dataManifestSha256,
      Map<String, String> extra) {}

  /** A checkpoint read back: the network (with updater state), best weights and state. */
  public record Loaded(MultiLayerNetwork network, INDArray bestWeights, State state) {}

  /** Writes the checkpoint of the epoch just finished, replacing the previous one at once. */
  static void write(
      Path dir,
      MultiLayerNetwork net,
      EarlyStopping stopping,
      List<EpochRecord> history,
      double seconds,
      CxrConfig cfg,
      String manifest,
      Map<String, String> extra) {
    Path staged = AtomicFiles.tempDirBeside(dir);
    try {
      ModelSerializer.writeModel(net, staged.resolve(NETWORK).toFile(), true);
      if (stopping.bestWeights() != null) {
        try (OutputStream out = Files.newOutputStream(staged.resolve(BEST));
            DataOutputStream data = new DataOutputStream(out)) {
          Nd4j.write(stopping.bestWeights(), data);
        }
      }
      State s =
          new State(
              FORMAT,
              history.get(history.size() - 1).epoch(),
              stopping.bestScore(),
              stopping.bestEpoch(),
              stopping.stale(),
              seconds,
              List.copyOf(history),
              ConfigLoader.flatten(cfg),
              manifest,
              extra);
      Json.writeJson(staged.resolve(STATE), s);
      AtomicFiles.publishDir(staged, dir);
    } catch (IOException e) {
      AtomicFiles.deleteRecursively(staged);
      throw new CxrException("cannot write the checkpoint " + dir + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      AtomicFiles.deleteRecursively(staged);
      throw e;
    }
  }

  /** The state of the checkpoint in {@code dir} (cheap: no tensors), or an error saying why not. */
  public static State state(Path dir) {
    Path f = dir.resolve(STATE);
    if (!Files.isRegularFile(f)) {
      throw new CxrException(
          "--resume: no checkpoint in "
              + dir
              + " (train writes one after every epoch and removes it when it finishes)");
    }
    try {
      JsonNode n = Json.JSON.readTree(f.toFile());
      if (!FORMAT.equals(n.path("format").asText())) {
        throw new CxrException(
            f + ": format '" + n.path("format").asText() + "' (expected " + FORMAT + ")");
      }
      return Json.JSON.treeToValue(n, State.class);
    } catch (IOException e) {
      throw new CxrException(f + ": not a readable checkpoint state (" + e.getMessage() + ")");
    }
  }

  /**
   * Loads the checkpoint in {@code dir} for {@code cfg} and the prepared data {@code manifest};
   * refuses one made with another config (naming the keys that differ) or other data.
   */
  static Loaded load(Path dir, CxrConfig cfg, String manifest) {
    State s = state(dir);
    Map<String, String> now = ConfigLoader.flatten(cfg);
    TreeSet<String> differ = new TreeSet<>();
    for (String k : union(now, s.config())) {
      if (!k.startsWith("tracking.") && !java.util.Objects.equals(now.get(k), s.config().get(k))) {
        differ.add(k);
      }
    }
    if (!differ.isEmpty()) {
      throw new CxrException(
          "--resume: the checkpoint in "
              + dir
              + " was made with another config ("
              + String.join(", ", differ)
              + " differ); resume with the same config, or train afresh without --resume");
    }
    if (!s.dataManifestSha256().equals(manifest)) {
      throw new CxrException(
          "--resume: the checkpoint in "
              + dir
              + " was made on other prepared data (manifest "
              + s.dataManifestSha256()
              + ", now "
              + manifest
              + ")");
    }
    try {
      Backend.useHelpers();
      MultiLayerNetwork net =
          ModelSerializer.restoreMultiLayerNetwork(dir.resolve(NETWORK).toFile(), true);
      INDArray best = null;
      if (Files.isRegularFile(dir.resolve(BEST))) {
        try (InputStream in = Files.newInputStream(dir.resolve(BEST));
            DataInputStream data = new DataInputStream(in)) {
          best = Nd4j.read(data);
        }
      }
      return new Loaded(net, best, s);
    } catch (IOException | RuntimeException e) {
      throw new CxrException(
          "--resume: cannot read the checkpoint in " + dir + " (" + e.getMessage() + ")", e);
    }
  }

  private static List<String> union(Map<String, String> a, Map<String, String> b) {
    List<String> keys = new ArrayList<>(a.keySet());
    for (String k : b.keySet()) {
      if (!a.containsKey(k)) {
        keys.add(k);
      }
    }
    return keys;
  }

  /** The run ids stored as {@link Plan#extra}. */
  public static Map<String, String> runIds(String experimentId, String runId) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("experiment_id", experimentId);
    m.put("run_id", runId);
    return m;
  }
}
