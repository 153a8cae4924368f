package io.cxr.core.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.config.CalibrationMethod;
import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.config.FitOn;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Calibration, then threshold, each fitted where the config says. */
class OperatingPointTest {
  // validation: over-confident and separable at 0.5; "external": shifted scores, separable at 0.8
  static final OperatingPoint.Scored VAL =
      new OperatingPoint.Scored(
          new int[] {0, 0, 0, 1, 1, 1}, new float[] {0.01f, 0.2f, 0.45f, 0.55f, 0.9f, 0.99f});
  static final OperatingPoint.Scored EXT =
      new OperatingPoint.Scored(
          new int[] {0, 0, 0, 1, 1, 1}, new float[] {0.6f, 0.7f, 0.75f, 0.85f, 0.9f, 0.95f});

  private static CxrConfig.Train train(String... overrides) {
    return ConfigLoader.load(null, List.of(overrides)).train();
  }

  @Test
  void theThresholdIsChosenOnTheSetTheConfigNames() {
    CxrConfig.Train onVal =
        train("train.calibration=none", "train.threshold=youden", "train.threshold_on=val");
    OperatingPoint v = OperatingPoint.fit(onVal, VAL, EXT);
    assertEquals((0.55 + 0.45) / 2, v.threshold(), 1e-6);
    assertFalse(v.thresholdOnExternal());
    OperatingPoint e =
        OperatingPoint.fit(
            train(
                "data.external=[x]",
                "train.calibration=none",
                "train.threshold=youden",
                "train.threshold_on=external"),
            VAL,
            EXT);
    assertEquals((0.85 + 0.75) / 2, e.threshold(), 1e-6);
    assertTrue(e.thresholdOnExternal());
    // auto: external when there is one, validation when not
    CxrConfig.Train auto =
        train("train.calibration=none", "train.threshold=youden", "train.threshold_on=auto");
    assertEquals(e.threshold(), OperatingPoint.fit(auto, VAL, EXT).threshold(), 0);
    assertEquals(v.threshold(), OperatingPoint.fit(auto, VAL, null).threshold(), 0);
    assertFalse(OperatingPoint.fit(auto, VAL, null).thresholdOnExternal());
  }

  @Test
  void calibrationIsFittedOnItsSetAndTheThresholdOnCalibratedScores() {
    CxrConfig.Train t =
        train(
            "train.calibration=temperature",
            "train.calibration_on=val",
            "train.threshold=fixed",
            "train.fixed_threshold=0.3");
    OperatingPoint op = OperatingPoint.fit(t, VAL, EXT);
    assertTrue(op.calibrated());
    assertFalse(op.calibratedOnExternal());
    assertEquals(0.3, op.threshold(), 0, "fixed is fixed");
    assertEquals(
        Calibration.fitTemperature(VAL.labels(), VAL.raw()), op.calibration().temperature());
    assertEquals(0.0, op.calibration().bias());
    assertArrayEquals(op.calibration().apply(EXT.raw()), op.apply(EXT.raw()));
    OperatingPoint ext =
        OperatingPoint.fit(
            train("data.external=[x]", "train.calibration=platt", "train.calibration_on=external"),
            VAL,
            EXT);
    assertTrue(ext.calibratedOnExternal());
    assertEquals(Calibration.fitPlatt(EXT.labels(), EXT.raw()), ext.calibration());
    assertNotEquals(0.0, ext.calibration().bias());
  }

  @Test
  void noCalibrationLeavesTheScoresAsTheyAre() {
    OperatingPoint op = OperatingPoint.fit(train("train.calibration=none"), VAL, null);
    assertFalse(op.calibrated());
    assertSame(Calibration.Fit.NONE, op.calibration());
    assertArrayEquals(VAL.raw(), op.apply(VAL.raw()));
    assertSame(
        Calibration.Fit.NONE,
        OperatingPoint.fitCalibration(CalibrationMethod.NONE, VAL.labels(), VAL.raw()));
  }

  @Test
  void onExternalFollowsTheChoice() {
    assertTrue(OperatingPoint.onExternal(FitOn.EXTERNAL, false));
    assertTrue(OperatingPoint.onExternal(FitOn.AUTO, true));
    assertFalse(OperatingPoint.onExternal(FitOn.AUTO, false));
    assertFalse(OperatingPoint.onExternal(FitOn.VAL, true));
  }
}
