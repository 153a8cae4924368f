package io.cxr.core.model;

import io.cxr.core.CxrException;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.io.AtomicFiles;
import io.cxr.core.io.Json;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * model.zip: DL4J's own model archive (configuration, parameters) plus an entry {@code
 * cxr-model.json} holding the {@link ModelCard}. DL4J ignores the extra entries, so the file stays
 * loadable with {@code ModelSerializer} alone (as the ensemble's first member). An ensemble ({@code
 * train.ensemble > 1}) keeps its other members' parameters, same architecture, in entries {@code
 * cxr-member-<i>.bin} (ND4J's array format, as DL4J's own {@code coefficients.bin}); its score is
 * the mean of its members' P(PNEUMONIA).
 */
public final class ModelBundle {
  public static final String CARD_ENTRY = "cxr-model.json";
  static final String MEMBER_PREFIX = "cxr-member-";

  private final List<MultiLayerNetwork> networks;
  private final ModelCard card;

  public ModelBundle(MultiLayerNetwork network, ModelCard card) {
    this(List.of(network), card);
  }

  /** An ensemble: networks of one architecture, scored together (the mean of their scores). */
  public ModelBundle(List<MultiLayerNetwork> networks, ModelCard card) {
    if (networks.isEmpty()) {
      throw new IllegalArgumentException("a model needs at least one network");
    }
    this.networks = List.copyOf(networks);
    this.card = card;
  }

  /** The first (or only) network. */
  public MultiLayerNetwork network() {
    return networks.get(0);
  }

  /** Every member of the ensemble (one for a single network). */
  public List<MultiLayerNetwork> networks() {
    return networks;
  }

  /** The same networks with another card. */
  public ModelBundle withCard(ModelCard other) {
    return new ModelBundle(networks, other);
  }

  public ModelCard card() {
    return card;
  }

  /** Writes atomically: a reader never sees a model without its card. */
  public void save(Path target) {
    AtomicFiles.writeVia(
        target,
        tmp -> {
          ModelSerializer.writeModel(network(), tmp.toFile(), false);
          try (FileSystem zip =
              FileSystems.newFileSystem(URI.create("jar:" + tmp.toUri()), Map.of())) {
            Files.writeString(zip.getPath(CARD_ENTRY), Json.toJson(card));
            for (int i = 1; i < networks.size(); i++) {
              Path entry = zip.getPath(MEMBER_PREFIX + i + ".bin");
              try (DataOutputStream out =
                  new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(entry)))) {
                Nd4j.write(networks.get(i).params(), out);
              }
            }
          }
        });
  }

  /**
   * Refuses a card whose image size the network does not take (an edited or foreign card), in one
   * line at load instead of a DL4J stack trace at the first image: one blank image goes through.
   */
  private static void requireInputSize(Path file, MultiLayerNetwork net, int size) {
    if (size < 1 || size > 1024) {
      throw new CxrException(
          "model " + file + ": " + CARD_ENTRY + " says imageSize " + size + " (expected 1..1024)");
    }
    try (org.nd4j.linalg.api.ndarray.INDArray blank =
            org.nd4j.linalg.factory.Nd4j.zeros(
                org.nd4j.linalg.api.buffer.DataType.FLOAT, 1, 1, size, size);
        org.nd4j.linalg.api.ndarray.INDArray out = net.output(blank)) {
      if (out.length() != 2) {
        throw new CxrException(
            "model " + file + ": the network gives " + out.length() + " outputs (expected 2)");
      }
    } catch (CxrException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new CxrException(
          "model "
              + file
              + ": "
              + CARD_ENTRY
              + " says "
              + size
              + "x"
              + size
              + " images, which its network does not take");
    }
  }

  /** The model card of a model.zip, without restoring the network (cheap). */
  public static ModelCard readCard(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new CxrException(
          "model " + file + ": not found (expected a model.zip written by " + "`cxr train`)");
    }
    ModelCard card;
    try (ZipFile zip = new ZipFile(file.toFile())) {
      ZipEntry e = zip.getEntry(CARD_ENTRY);
      if (e == null) {
        throw new CxrException(
            "model "
                + file
                + ": no "
                + CARD_ENTRY
                + " entry (expected a "
                + "model.zip written by `cxr train`)");
      }
      try (InputStream in = zip.getInputStream(e)) {
        card = Json.JSON.readValue(in, ModelCard.class);
      }
    } catch (com.fasterxml.jackson.databind.JsonMappingException e) {
      // a value of the card that is not what cxr writes (e.g. an unknown model type)
      String field = Json.fieldPath(e);
      String why =
          e.getCause() instanceof IllegalArgumentException iae
              ? iae.getMessage()
              : String.valueOf(e.getOriginalMessage()).lines().findFirst().orElse("");
      throw new CxrException(
          "model " + file + ": " + CARD_ENTRY + " field '" + field + "': " + why);
    } catch (ZipException | IllegalArgumentException e) {
      // IllegalArgumentException: the JDK's zip reader on a malformed entry name
      throw new CxrException(
          "model "
              + file
              + ": not a zip archive (expected a model.zip "
              + "written by `cxr train`)");
    } catch (IOException e) {
      throw new CxrException("model " + file + ": unreadable (" + e.getMessage() + ")");
    }
    if (!ModelCard.FORMAT.equals(card.format())) {
      throw new CxrException(
          "model " + file + ": format '" + card.format() + "' (expected " + ModelCard.FORMAT + ")");
    }
    if (card.crop() != null && !(card.crop() >= 0 && card.crop() <= CxrConfig.Data.MAX_CROP)) {
      throw new CxrException(
          "model "
              + file
              + ": crop "
              + card.crop()
              + " in cxr-model.json (expected a fraction in [0, "
              + CxrConfig.Data.MAX_CROP
              + "])");
    }
    return card;
  }

  public static ModelBundle load(Path file) {
    ModelCard card = readCard(file);
    ArchiveCheck.check(file);
    try {
      Backend.useHelpers();
      MultiLayerNetwork first = ModelSerializer.restoreMultiLayerNetwork(file.toFile(), false);
      List<MultiLayerNetwork> all = new ArrayList<>();
      all.add(first);
      all.addAll(members(file, first));
      requireInputSize(file, first, card.imageSize());
      return new ModelBundle(all, card);
    } catch (CxrException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new CxrException(
          "model " + file + ": cannot restore the network (" + e.getMessage() + ")");
    }
  }

  /** The ensemble's other members: {@code cxr-member-1.bin, -2.bin, ...}, in order. */
  private static List<MultiLayerNetwork> members(Path file, MultiLayerNetwork first)
      throws IOException {
    List<MultiLayerNetwork> out = new ArrayList<>();
    try (ZipFile zip = new ZipFile(file.toFile())) {
      for (int i = 1; ; i++) {
        ZipEntry e = zip.getEntry(MEMBER_PREFIX + i + ".bin");
        if (e == null) {
          break;
        }
        INDArray params;
        try (DataInputStream in = new DataInputStream(zip.getInputStream(e))) {
          params = Nd4j.read(in);
        }
        if (params.length() != first.numParams()) {
          throw new CxrException(
              String.format(
                  Locale.ROOT,
                  "model %s: %s holds %d parameters, the network has %d (expected members of one"
                      + " architecture)",
                  file,
                  e.getName(),
                  params.length(),
                  first.numParams()));
        }
        MultiLayerNetwork member = first.clone();
        member.setParams(params.reshape(1, params.length()));
        out.add(member);
      }
    }
    return out;
  }
}
