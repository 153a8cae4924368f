package io.cxr.core.model;

import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.data.ImageDecoder;

/**
 * Same image, same pixels: a model card records which JPEG decoder (and resize) made its training
 * pixels ({@value #KEY}); evaluate and predict compare it with the decoder of this process before
 * they decode images. libjpeg-turbo with DCT scaling and OpenCV's bundled libjpeg give slightly
 * different pixels, enough to flip a few decisions near the threshold.
 */
public final class PixelCheck {
  /** The provenance key of the card that names the training pixels' decoder. */
  public static final String KEY = "pixels_decoder";

  private PixelCheck() {}

  /**
   * Warns once when the decoders differ, or with {@code strict} stops with a one-line error. Models
   * trained on npz arrays (no JPEG decoding) or from before this check record none: nothing to
   * compare.
   */
  public static void check(ModelCard card, String modelName, boolean strict, Reporter reporter) {
    String trained = card.provenance() == null ? null : card.provenance().get(KEY);
    String here = ImageDecoder.backend();
    if (trained == null || trained.equals(here)) {
      return;
    }
    String msg =
        "model "
            + modelName
            + " was trained on pixels decoded by ["
            + trained
            + "] but this machine decodes with ["
            + here
            + "]: probabilities can differ slightly (pin data.decoder, or install libturbojpeg0 "
            + "where the model's decoder was libjpeg-turbo)";
    if (strict) {
      throw new CxrException(msg + " (--strict)");
    }
    reporter.warn(msg);
  }
}
