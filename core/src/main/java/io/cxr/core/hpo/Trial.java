package io.cxr.core.hpo;

import io.cxr.core.config.CxrConfig;
import java.util.Map;

/**
 * One search trial: its sampled params, how it ended, its validation AUC, its run, and its
 * best-so-far validation AUC per epoch (what the median pruner compares).
 */
public record Trial(
    int number,
    Map<String, Object> params,
    TrialState state,
    double score,
    int epochs,
    int bestEpoch,
    double threshold,
    double seconds,
    String runId,
    CxrConfig config,
    double[] curve) {}
