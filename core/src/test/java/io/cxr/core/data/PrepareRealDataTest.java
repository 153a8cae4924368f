package io.cxr.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.Reporter;
import io.cxr.core.TestData;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.io.Json;
import io.cxr.core.stage.PrepareStage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pre-train data validation on the real shared data. */
class PrepareRealDataTest {
  @TempDir Path tmp;

  @Test
  void pneumoniaMnistKeepsOfficialSplitsAndNativeSize() throws Exception {
    CxrConfig cfg = TestData.config(tmp);
    PrepareStage.Result r =
        PrepareStage.run(cfg, TestData.npz(), tmp.resolve("prepared"), Reporter.SILENT);
    assertEquals(28, r.imageSize());
    // official counts (README of shared/data), minus train images that also appear in val
    assertEquals(524, r.stats().get(Split.VAL).count());
    assertEquals(135, r.stats().get(Split.VAL).count(Label.NORMAL));
    assertEquals(624, r.stats().get(Split.TEST).count());
    assertEquals(234, r.stats().get(Split.TEST).count(Label.NORMAL));
    SplitStats train = r.stats().get(Split.TRAIN);
    assertEquals(4708 - train.droppedDuplicates(), train.count());
    assertEquals(10, train.droppedDuplicates(), "PneumoniaMNIST's train/held-out duplicate pairs");
    assertTrue(train.min() >= 0 && train.max() <= 1 && train.max() > 0.9);

    PreparedDataset p = PreparedDataset.load(tmp.resolve("prepared"));
    assertEquals(train.count(), p.split(Split.TRAIN).n());
    assertEquals(28 * 28 * 624, p.split(Split.TEST).x().length);
    JsonNode m = Json.JSON.readTree(tmp.resolve("prepared/manifest.json").toFile());
    assertEquals(28, m.get("image_size").asInt());
    assertEquals(
        "15e91f38f7d9eaa31e4550fed02eb1713f709054bb65ba6d82c63308d94989b6",
        m.path("source").path("sha256").path("pneumoniamnist.npz").asText());
    assertEquals(train.droppedDuplicates(), m.path("dropped_duplicates").size());
    // a fixed key order (a JVM-salted one changed the manifest's hash between runs)
    for (JsonNode d : m.path("dropped_duplicates")) {
      assertEquals(List.of("dropped", "same_as"), iterable(d.fieldNames()));
    }
    assertTrue(Files.isRegularFile(tmp.resolve("prepared/config.yaml")));
    // the default data.crop is for image files: the npz is prepared whole, and says so
    assertEquals(0.1, cfg.data().crop());
    assertEquals(0, p.crop());
    assertTrue(m.path("source").path("crop").isMissingNode(), m.path("source").toString());
  }

  @Test
  void anNpzCroppedForAModelCutsTheSameShareOffEachSide() {
    DataSource whole = NpzSource.open(TestData.npz());
    DataSource cropped = whole.withCrop(0.1);
    assertEquals(0.1, cropped.crop());
    assertEquals(0, whole.crop());
    Sample s = whole.samples().get(0);
    float[] full = new float[28 * 28];
    whole.load(s, 28, full, 0);
    // 28 px, 10% a side: 3 px off each edge, the 22 px middle resized back to 28
    float[] box = new float[22 * 22];
    for (int r = 0; r < 22; r++) {
      for (int c = 0; c < 22; c++) {
        box[r * 22 + c] = Math.round(full[(r + 3) * 28 + c + 3] * 255f);
      }
    }
    float[] expected = ImageDecoder.resizeGray(box, 22, 28);
    float[] got = new float[28 * 28];
    cropped.load(s, 28, got, 0);
    org.junit.jupiter.api.Assertions.assertArrayEquals(expected, got, 1e-6f);
    double off = 0;
    for (int i = 0; i < got.length; i++) {
      off += Math.abs(got[i] - full[i]);
    }
    assertTrue(off / got.length > 0.02, "the crop changed little: " + off / got.length);
  }

  @Test
  void threadCountNeverChangesTheTensorsAndTheManifestHashesTheFiles() throws Exception {
    // the npz has train images identical to val ones: the .npy header is rewritten in place
    for (Path source : List.of(TestData.npz(), TestData.kermany())) {
      Map<String, String> manifests = new HashMap<>();
      for (int workers : new int[] {1, 2, 3}) {
        Path out = tmp.resolve(source.getFileName() + "-" + workers);
        String cap = source.equals(TestData.npz()) ? "0" : "300";
        PrepareStage.Result r =
            PrepareStage.run(
                TestData.config(
                    tmp,
                    "data.workers=" + workers,
                    "data.max_per_class=" + cap,
                    "data.image_size=32"),
                source,
                out,
                Reporter.SILENT);
        if (source.equals(TestData.npz())) {
          assertTrue(r.stats().get(Split.TRAIN).droppedDuplicates() > 0);
        }
        JsonNode m = Json.JSON.readTree(out.resolve("manifest.json").toFile());
        for (Split s : Split.values()) {
          Path x = out.resolve("x_" + s.key() + ".npy");
          assertEquals(
              io.cxr.core.io.Hashing.sha256(x),
              m.path("splits").path(s.key()).path("x_sha256").asText(),
              x.toString());
          try (var in = Files.newInputStream(x)) {
            assertEquals(
                m.path("splits").path(s.key()).path("count").asInt(),
                Npy.read(in, x.toString()).shape()[0]);
          }
        }
        manifests.put(String.valueOf(workers), Files.readString(out.resolve("manifest.json")));
      }
      assertEquals(manifests.get("1"), manifests.get("2"), source.toString());
      assertEquals(manifests.get("1"), manifests.get("3"), source.toString());
    }
  }

  private static List<String> iterable(java.util.Iterator<String> it) {
    List<String> out = new java.util.ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }

  @Test
  void explicitSizeResamplesNpz() {
    CxrConfig cfg = TestData.config(tmp, "data.image_size=16", "data.max_per_class=50");
    PrepareStage.Result r =
        PrepareStage.run(cfg, TestData.npz(), tmp.resolve("prepared"), Reporter.SILENT);
    assertEquals(16, r.imageSize());
    assertEquals(100, r.stats().get(Split.TEST).count());
    assertEquals(
        16 * 16 * 100, PreparedDataset.load(tmp.resolve("prepared")).split(Split.TEST).x().length);
  }

  @Test
  void kermanyFolderIsSplitByPatientWithoutOverlapAndReproducibly() throws Exception {
    CxrConfig cfg = TestData.config(tmp, "data.folder_image_size=24");
    DataSource src = Sources.open(TestData.kermany(), true);
    assertEquals(5216, src.samples().size());
    assertEquals(1341, src.samples().stream().filter(s -> s.label() == 0).count());
    PrepareStage.Result r =
        PrepareStage.run(cfg, TestData.kermany(), tmp.resolve("a"), Reporter.SILENT);
    // no patient in two splits
    Map<String, String> splitOf = new HashMap<>();
    List<String> rows = Files.readAllLines(tmp.resolve("a/samples.csv"));
    for (String row : rows.subList(1, rows.size())) {
      String[] f = row.split(",");
      String before = splitOf.putIfAbsent(f[4], f[0]);
      assertTrue(before == null || before.equals(f[0]), "patient " + f[4] + " in two splits");
    }
    // stratified: each split holds about its share of each class
    for (Label l : Label.values()) {
      long total = src.samples().stream().filter(s -> s.label() == l.index()).count();
      double testShare = r.stats().get(Split.TEST).count(l) / (double) total;
      assertEquals(0.15, testShare, 0.02, "test share of " + l);
      double valShare = r.stats().get(Split.VAL).count(l) / (double) total;
      assertEquals(0.15, valShare, 0.02, "val share of " + l);
    }
    assertEquals(
        5216,
        r.stats().values().stream().mapToInt(SplitStats::count).sum()
            + r.stats().values().stream().mapToInt(SplitStats::droppedDuplicates).sum());
    // the same seed gives the same split, byte for byte
    PrepareStage.run(cfg, TestData.kermany(), tmp.resolve("b"), Reporter.SILENT);
    assertEquals(
        Files.readString(tmp.resolve("a/samples.csv")),
        Files.readString(tmp.resolve("b/samples.csv")));
    assertEquals(
        Files.readString(tmp.resolve("a/manifest.json")),
        Files.readString(tmp.resolve("b/manifest.json")));
    // another seed, another split
    PrepareStage.run(
        TestData.config(tmp, "data.folder_image_size=24", "seed=7"),
        TestData.kermany(),
        tmp.resolve("c"),
        Reporter.SILENT);
    assertTrue(
        !Files.readString(tmp.resolve("a/samples.csv"))
            .equals(Files.readString(tmp.resolve("c/samples.csv"))));
  }

  @Test
  void patientIdsFollowKermanyNames() {
    assertEquals("person1000", KermanyFolderSource.patientOf("person1000_bacteria_2931.jpeg"));
    assertEquals("person1000", KermanyFolderSource.patientOf("person1000_virus_1681.jpeg"));
    assertEquals("IM-0115", KermanyFolderSource.patientOf("IM-0115-0001.jpeg"));
    assertEquals("NORMAL2-IM-0372", KermanyFolderSource.patientOf("NORMAL2-IM-0372-0001.jpeg"));
  }
}
