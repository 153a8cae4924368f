package io.cxr.core.eval;

import io.cxr.core.config.CalibrationMethod;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.config.FitOn;

/**
 * How a trained model turns raw scores into decisions: a calibration ({@code train.calibration})
 * and then a threshold ({@code train.threshold}) on the calibrated scores, each fitted on the
 * validation split or on the pooled external sets ({@code train.calibration_on}, {@code
 * train.threshold_on}). Fitted once after training, stored in the model card, applied by every
 * later scorer.
 *
 * @param calibration the fitted calibration ({@link Calibration.Fit#NONE} when off)
 * @param threshold the decision threshold on calibrated scores
 * @param calibratedOnExternal whether the calibration was fitted on the external sets
 * @param thresholdOnExternal whether the threshold was chosen on the external sets
 */
public record OperatingPoint(
    Calibration.Fit calibration,
    double threshold,
    boolean calibratedOnExternal,
    boolean thresholdOnExternal) {

  /** Labels with the raw (uncalibrated) scores of one set. */
  public record Scored(int[] labels, float[] raw) {}

  /**
   * Fits the calibration, then the threshold, each on validation or on the external sets as the
   * config says.
   *
   * @param external the pooled external sets, or null when the data has none
   */
  public static OperatingPoint fit(CxrConfig.Train t, Scored val, Scored external) {
    boolean calOnExt = onExternal(t.calibrationOn(), external != null);
    Scored calSet = calOnExt ? external : val;
    Calibration.Fit cal = fitCalibration(t.calibration(), calSet.labels(), calSet.raw());
    boolean thrOnExt = onExternal(t.thresholdOn(), external != null);
    Scored thrSet = thrOnExt ? external : val;
    double threshold =
        ThresholdSelector.choose(
            t.threshold(),
            t.fixedThreshold(),
            t.targetSensitivity(),
            thrSet.labels(),
            cal.apply(thrSet.raw()));
    return new OperatingPoint(cal, threshold, calOnExt, thrOnExt);
  }

  /** Calibrated scores. */
  public float[] apply(float[] raw) {
    return calibration.apply(raw);
  }

  /** Whether any calibration was fitted ({@code train.calibration} not {@code none}). */
  public boolean calibrated() {
    return calibration != Calibration.Fit.NONE;
  }

  /**
   * Whether a fit ({@code train.threshold_on}, {@code train.calibration_on}) uses the external
   * sets: {@code external} always, {@code auto} when there are some, {@code val} never.
   */
  public static boolean onExternal(FitOn where, boolean haveExternal) {
    return where == FitOn.EXTERNAL || (where == FitOn.AUTO && haveExternal);
  }

  static Calibration.Fit fitCalibration(CalibrationMethod mode, int[] y, float[] raw) {
    return switch (mode) {
      case TEMPERATURE -> new Calibration.Fit(Calibration.fitTemperature(y, raw), 0.0);
      case PLATT -> Calibration.fitPlatt(y, raw);
      case NONE -> Calibration.Fit.NONE;
    };
  }
}
