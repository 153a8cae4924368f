package io.cxr.core.hpo;

/** How a search trial ended (the {@code trial_state} tag of its nested run). */
public enum TrialState {
  /** Trained to the end (or to early stopping); its score counts. */
  COMPLETE,
  /** Stopped by the median rule; its best score so far is recorded. */
  PRUNED,
  /** Threw; scored as the worst. */
  FAILED
}
