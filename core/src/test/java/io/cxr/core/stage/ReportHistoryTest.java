package io.cxr.core.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cxr.core.eval.EpochRecord;
import io.cxr.core.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report's training curves mark the epochs the model's own early-stopping rule marked. */
class ReportHistoryTest {
  @TempDir Path tmp;

  // AUC rises every epoch while log-loss is best at epoch 2; the second member starts again at 1
  static final String CSV =
      "epoch,train_loss,val_loss,val_auc\n"
          + "1,0.6,0.50,0.90\n"
          + "2,0.5,0.30,0.92\n"
          + "3,0.4,0.40,0.95\n"
          + "1,0.6,0.55,0.80\n"
          + "2,0.5,0.60,0.85\n";

  private List<Boolean> marks(String earlyStopping, String csv) throws Exception {
    Path f = tmp.resolve("history.csv");
    Files.writeString(f, csv);
    return ReportSections.readHistory(f, Json.YAML.readTree("early_stopping: " + earlyStopping))
        .stream()
        .map(EpochRecord::improved)
        .toList();
  }

  @Test
  void logLossTrainingsAreMarkedOnLogLossAndEachMemberStartsAfresh() throws Exception {
    assertEquals(
        List.of(true, true, false, true, false),
        marks("{metric: log_loss, on: val, min_delta: 0.0}", CSV));
  }

  @Test
  void aucTrainingsAreMarkedOnAucWithMinDelta() throws Exception {
    assertEquals(
        List.of(true, true, true, true, true),
        marks("{metric: auc, on: val, min_delta: 0.0}", CSV));
    assertEquals(
        List.of(true, false, true, true, true),
        marks("{metric: auc, on: val, min_delta: 0.025}", CSV));
  }

  @Test
  void externalTrainingsAreMarkedOnTheExternalColumns() throws Exception {
    String csv =
        "epoch,train_loss,val_loss,val_auc,external_loss,external_auc\n"
            + "1,0.6,0.5,0.90,0.7,0.80\n"
            + "2,0.5,0.4,0.95,0.8,0.79\n";
    assertEquals(List.of(true, false), marks("{metric: auc, on: external, min_delta: 0.0}", csv));
    assertEquals(List.of(true, true), marks("{metric: auc, on: val, min_delta: 0.0}", csv));
  }

  /** The curves are drawn only from the history the model's card names by its hash. */
  @Test
  void aHistoryOfAnotherTrainingIsNotDrawn() throws Exception {
    Path f = tmp.resolve("history.csv");
    Files.writeString(f, CSV);
    String ours = io.cxr.core.io.Hashing.sha256(f);
    org.junit.jupiter.api.Assertions.assertNull(ReportSections.foreignHistory(f, ours));
    org.junit.jupiter.api.Assertions.assertNull(
        ReportSections.foreignHistory(tmp.resolve("none.csv"), ours), "missing: said elsewhere");
    String other = ReportSections.foreignHistory(f, "0".repeat(64));
    org.junit.jupiter.api.Assertions.assertTrue(
        other.startsWith(f + " is the history of another training"), other);
    String old = ReportSections.foreignHistory(f, null);
    org.junit.jupiter.api.Assertions.assertTrue(
        old.startsWith("The model does not name its training history"), old);
  }

  /** An ensemble's members are series of their own, not one line jumping back to epoch 1. */
  @Test
  void eachMemberIsItsOwnSeries() throws Exception {
    Path f = tmp.resolve("history.csv");
    Files.writeString(f, CSV);
    List<EpochRecord> h =
        ReportSections.readHistory(f, Json.YAML.readTree("early_stopping: {metric: auc}"));
    List<List<EpochRecord>> members = io.cxr.core.report.Plots.members(h);
    assertEquals(2, members.size());
    assertEquals(List.of(1, 2, 3), members.get(0).stream().map(EpochRecord::epoch).toList());
    assertEquals(List.of(1, 2), members.get(1).stream().map(EpochRecord::epoch).toList());
    assertEquals(1, io.cxr.core.report.Plots.members(h.subList(0, 3)).size());
  }
}
