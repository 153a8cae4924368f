package io.cxr.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.CxrException;
import io.cxr.core.WarningRecorder;
import io.cxr.core.data.ImageDecoder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PixelCheckTest {
  private final WarningRecorder reporter = new WarningRecorder();
  private final List<String> warnings = reporter.warnings;

  @AfterEach
  void autoDecoder() {
    ImageDecoder.use(io.cxr.core.config.DecoderChoice.AUTO);
  }

  private static ModelCard card(String decoder) {
    Map<String, String> prov = new HashMap<>();
    if (decoder != null) {
      prov.put(PixelCheck.KEY, decoder);
    }
    return new ModelCard(
        ModelCard.FORMAT,
        io.cxr.core.config.ModelType.CNN,
        28,
        0.5,
        io.cxr.core.config.Normalization.PER_IMAGE,
        List.of(),
        Map.of(),
        prov,
        "",
        "",
        null,
        null,
        null);
  }

  @Test
  void sameDecoderOrNoneRecordedSaysNothing() {
    PixelCheck.check(card(ImageDecoder.backend()), "m.zip", true, reporter);
    PixelCheck.check(card(null), "m.zip", true, reporter);
    assertEquals(List.of(), warnings);
  }

  @Test
  void anotherDecoderWarnsNamingBoth() {
    String here = ImageDecoder.backend();
    PixelCheck.check(card("OpenCV 4.5.5 imdecode"), "m.zip", false, reporter);
    assertEquals(1, warnings.size());
    assertTrue(warnings.get(0).contains("[OpenCV 4.5.5 imdecode]"), warnings.get(0));
    assertTrue(warnings.get(0).contains("[" + here + "]"), warnings.get(0));
    assertTrue(warnings.get(0).startsWith("model m.zip "), warnings.get(0));
  }

  @Test
  void strictMakesItAnError() {
    CxrException e =
        assertThrows(
            CxrException.class,
            () -> PixelCheck.check(card("OpenCV 4.5.5 imdecode"), "m.zip", true, reporter));
    assertTrue(e.getMessage().endsWith("(--strict)"), e.getMessage());
    assertEquals(List.of(), warnings);
  }

  @Test
  void pinningOpencvChangesTheDecoderOfThisProcess() {
    ImageDecoder.use(io.cxr.core.config.DecoderChoice.OPENCV);
    assertTrue(ImageDecoder.backend().startsWith("OpenCV"), ImageDecoder.backend());
    assertEquals(false, ImageDecoder.fastJpeg());
    ImageDecoder.use(io.cxr.core.config.DecoderChoice.AUTO);
    assertTrue(ImageDecoder.fastJpeg() || !"true".equals(System.getenv("CI")));
  }
}
