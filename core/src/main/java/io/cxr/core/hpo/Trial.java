package io.cxr.core.hpo;

import io.cxr.core.config.CxrConfig;
import java.util.Map;

/** One search trial: its sampled params, how it ended, its validation AUC and its run. */
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
    CxrConfig config) {}
