package io.cxr.core.hpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.CxrException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SearchJournalTest {
  @TempDir Path tmp;

  @Test
  void finishedTrialsRoundTripIncludingAPrunedTrialsMissingThreshold() {
    Trial done =
        new Trial(
            1,
            Map.of("model.cnn.filters", List.of(8, 16)),
            TrialState.COMPLETE,
            0.91,
            3,
            2,
            0.42,
            12.5,
            "run-1",
            null,
            new double[] {0.8, 0.9, 0.91});
    Trial pruned =
        new Trial(
            2,
            Map.of("train.optimizer", "sgd"),
            TrialState.PRUNED,
            0.6,
            2,
            0,
            Double.NaN,
            3.0,
            "run-2",
            null,
            new double[] {0.5, 0.6});
    Path f = tmp.resolve("hpo/journal.json");
    new SearchJournal("sig", "0", "parent", List.of()).with(done).with(pruned).save(f);
    SearchJournal j = SearchJournal.read(f);
    assertEquals("sig", j.signature());
    assertEquals("parent", j.parentRunId());
    Map<Integer, SearchJournal.Entry> by = j.byNumber();
    assertEquals(Map.of("model.cnn.filters", "[8,16]"), by.get(1).params());
    assertEquals(TrialState.COMPLETE, by.get(1).state());
    assertEquals(0.42, by.get(1).threshold());
    assertArrayEquals(new double[] {0.8, 0.9, 0.91}, by.get(1).curve());
    assertTrue(Double.isNaN(by.get(2).threshold()));
    assertEquals("run-2", by.get(2).runId());

    // read back from a tracking server: the same record under the server's run id
    SearchJournal.Entry remote = by.get(1).withRunId("server-run");
    assertEquals("server-run", remote.runId());
    assertEquals("run-1", by.get(1).runId());
    assertEquals(
        List.of(1, by.get(1).params(), TrialState.COMPLETE, 0.91, 3, 2, 0.42, 12.5),
        List.of(
            remote.number(),
            remote.params(),
            remote.state(),
            remote.score(),
            remote.epochs(),
            remote.bestEpoch(),
            remote.threshold(),
            remote.seconds()));
    assertArrayEquals(by.get(1).curve(), remote.curve());
  }

  @Test
  void aMissingOrBrokenJournalIsAOneLineError() throws Exception {
    Path f = tmp.resolve("journal.json");
    assertTrue(
        assertThrows(CxrException.class, () -> SearchJournal.read(f))
            .getMessage()
            .startsWith("--resume: no search journal at " + f));
    Files.writeString(f, "{\"signature\": \"x\"}");
    assertTrue(
        assertThrows(CxrException.class, () -> SearchJournal.read(f))
            .getMessage()
            .contains("incomplete"));
    Files.writeString(f, "{not json");
    assertTrue(
        assertThrows(CxrException.class, () -> SearchJournal.read(f))
            .getMessage()
            .startsWith("search journal " + f + ": unreadable"));
  }
}
