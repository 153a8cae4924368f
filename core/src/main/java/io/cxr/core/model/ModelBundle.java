package io.cxr.core.model;

import io.cxr.core.CxrException;
import io.cxr.core.io.AtomicFiles;
import io.cxr.core.io.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;

/**
 * model.zip: DL4J's own model archive (configuration, parameters) plus an entry {@code
 * cxr-model.json} holding the {@link ModelCard}. DL4J ignores the extra entry, so the file stays
 * loadable with {@code ModelSerializer} alone.
 */
public final class ModelBundle {
  public static final String CARD_ENTRY = "cxr-model.json";

  private final MultiLayerNetwork network;
  private final ModelCard card;

  public ModelBundle(MultiLayerNetwork network, ModelCard card) {
    this.network = network;
    this.card = card;
  }

  public MultiLayerNetwork network() {
    return network;
  }

  public ModelCard card() {
    return card;
  }

  /** Writes atomically: a reader never sees a model without its card. */
  public void save(Path target) {
    AtomicFiles.writeVia(
        target,
        tmp -> {
          ModelSerializer.writeModel(network, tmp.toFile(), false);
          try (FileSystem zip =
              FileSystems.newFileSystem(URI.create("jar:" + tmp.toUri()), Map.of())) {
            Files.writeString(zip.getPath(CARD_ENTRY), Json.toJson(card));
          }
        });
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
    return card;
  }

  public static ModelBundle load(Path file) {
    ModelCard card = readCard(file);
    ArchiveCheck.check(file);
    try {
      Backend.useHelpers();
      return new ModelBundle(ModelSerializer.restoreMultiLayerNetwork(file.toFile(), false), card);
    } catch (IOException | RuntimeException e) {
      throw new CxrException(
          "model " + file + ": cannot restore the network (" + e.getMessage() + ")");
    }
  }
}
