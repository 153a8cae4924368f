package io.cxr.core.train;

import io.cxr.core.eval.EpochRecord;
import java.util.ArrayList;
import java.util.List;

/** A training listener that keeps every epoch's record, for tests to inspect. */
final class EpochRecorder implements TrainingListener {
  final List<EpochRecord> epochs = new ArrayList<>();

  @Override
  public void onEpoch(EpochRecord r) {
    epochs.add(r);
  }
}
