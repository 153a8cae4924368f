package io.cxr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.data.PreparedDataset;
import io.cxr.core.data.Split;
import io.cxr.core.io.Json;
import io.cxr.core.model.ModelBundle;
import io.cxr.core.model.Scorer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * prepare, train, evaluate, predict, register and report through the command line, on small real
 * data. Each test works in its own copy of the {@link TrainedWorkspace} (one model trained once for
 * all of them), so the tests run in any order and one failure does not cascade into the others.
 */
class CliEndToEndTest {
  Path tmp;
  String[] paths;

  @BeforeEach
  void ownCopyOfTheTrainedWorkspace(@TempDir Path dir) throws Exception {
    tmp = dir;
    paths = TrainedWorkspace.copy(tmp);
  }

  private String[] args(String... a) {
    return Stream.concat(Stream.of(a), Stream.of(paths)).toArray(String[]::new);
  }

  /** {@link #args} with overrides that win over the shared paths. */
  private String[] args(String[] last, String... a) {
    return Stream.concat(Stream.of(args(a)), Stream.of(last)).toArray(String[]::new);
  }

  @Test
  void prepareOnAnNpzPrintsEachSplitsCountsAndWritesTheTensors(@TempDir Path own) {
    Path npz = Cli.sharedData().resolve("pneumoniamnist/pneumoniamnist.npz");
    Cli prep =
        Cli.run(
            Cli.concat(
                new String[] {"prepare", "--source", npz.toString(), "data.max_per_class=250"},
                Cli.isolated(own)));
    assertEquals(0, prep.code(), prep.toString());
    assertTrue(prep.out().contains("test       484      234        250"), prep.out());
    for (String f : List.of("x_train.npy", "y_test.npy", "samples.csv", "manifest.json")) {
      assertTrue(Files.isRegularFile(own.resolve("prepared").resolve(f)), f);
    }
  }

  @Test
  void trainPrintsAnEpochLinePerEpochAndWritesTheModelMetricsAndPlots() throws Exception {
    Cli train = TrainedWorkspace.trainOutput();
    assertTrue(
        train.out().contains("epoch  1/2") && train.out().contains("epoch  2/2"), train.out());
    assertTrue(train.out().contains("specificity"), train.out());
    for (String f :
        List.of("models/model.zip", "models/metrics.json", "artifacts/cxr/roc_curve.png")) {
      assertTrue(Files.isRegularFile(tmp.resolve(f)), f);
    }
  }

  @Test
  void evaluateExitsWithTheGatesVerdictAndWritesItsReport() throws Exception {
    Cli eval = Cli.run(args("evaluate"));
    JsonNode m = Json.JSON.readTree(tmp.resolve("reports/evaluation.json").toFile());
    assertEquals(m.get("gate_passed").asDouble() == 1.0 ? 0 : 1, eval.code(), eval.toString());
    assertTrue(eval.out().contains("quality gate:") && eval.out().contains("test AUC"), eval.out());
    assertTrue(Files.readString(tmp.resolve("reports/evaluation.md")).contains("# cxr evaluation"));

    // a gate every model passes must exit 0 (an evaluate that always exits 1 fails here)
    Cli lenient =
        Cli.run(
            args(
                "evaluate",
                "gate.min_test_f1=0",
                "gate.min_test_accuracy=0",
                "gate.min_test_auc=0",
                "gate.min_test_specificity=0",
                "gate.max_train_test_f1_gap=1"));
    assertEquals(0, lenient.code(), lenient.toString());
    assertTrue(lenient.out().contains("=> PASSED"), lenient.out());
  }

  @Test
  void failingGateExitsOneAndShowsEachCheck() {
    Cli eval = Cli.run(args("evaluate", "gate.min_test_auc=1.0"));
    assertEquals(1, eval.code(), eval.toString());
    assertTrue(eval.out().contains("FAIL") && eval.out().contains("=> FAILED"), eval.out());
    assertTrue(
        eval.out().lines().filter(l -> l.contains("PASS") || l.contains("FAIL")).count() >= 5,
        "every check shown: " + eval.out());
    // in MLflow's run list the verdict shows: the run ended FAILED, named and described so
    List<Path> failed;
    try (var runs = Files.walk(tmp.resolve("mlruns"), 2)) {
      failed =
          runs.filter(d -> read(d.resolve("tags/mlflow.runName")).endsWith(" (gate failed)"))
              .toList();
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    assertEquals(1, failed.size(), "one evaluate run named for its failed gate");
    Path run = failed.get(0);
    assertTrue(read(run.resolve("meta.yaml")).contains("status: 4"), "FAILED in meta.yaml");
    assertTrue(read(run.resolve("meta.yaml")).contains("(gate failed)"), "named in meta.yaml");
    String note = read(run.resolve("tags/mlflow.note.content"));
    assertTrue(note.startsWith("Quality gate failed:") && note.contains("test AUC"), note);
  }

  private static String read(Path f) {
    try {
      return Files.isRegularFile(f) ? Files.readString(f) : "";
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void evaluateOnAnyLabelledJpegFolder() throws Exception {
    Path folder = Cli.copyKermany(tmp.resolve("folder"), 15);
    Cli eval =
        Cli.run(
            args(
                "evaluate",
                "--data",
                folder.toString(),
                "--out",
                tmp.resolve("folder-eval").toString()));
    JsonNode m = Json.JSON.readTree(tmp.resolve("folder-eval/evaluation.json").toFile());
    // the exit code is the gate's verdict, nothing else
    assertEquals(m.get("gate_passed").asDouble() == 1.0 ? 0 : 1, eval.code(), eval.toString());
    assertEquals(30, m.get("test_n").asInt());
    assertEquals(15, m.get("test_tn").asInt() + m.get("test_fp").asInt());
  }

  @Test
  void predictLabelsFilesAndFolders() throws Exception {
    Path img =
        Cli.sharedData()
            .resolve("chest_xray_224/train/PNEUMONIA")
            .resolve("person1000_bacteria_2931.jpeg");
    Path folder = Cli.copyKermany(tmp.resolve("folder"), 15);
    Cli table = Cli.run(args("predict", img.toString(), folder.resolve("NORMAL").toString()));
    assertEquals(0, table.code(), table.toString());
    assertTrue(table.out().contains("16 images:"), table.out());
    Cli json = Cli.run(args("predict", "--format", "json", img.toString()));
    assertEquals(0, json.code(), json.toString());
    JsonNode rows = Json.JSON.readTree(json.out());
    assertEquals(1, rows.size());
    double p = rows.get(0).get("probability_pneumonia").asDouble();
    assertTrue(p >= 0 && p <= 1);
    assertTrue(List.of("NORMAL", "PNEUMONIA").contains(rows.get(0).get("label").asText()));
  }

  @Test
  void registerPromotesAndChampionPredicts() throws Exception {
    Cli reg = Cli.run(args("register"));
    assertEquals(0, reg.code(), reg.toString());
    assertTrue(
        reg.out().contains("version 1") && reg.out().contains("promoted to champion"), reg.out());
    Cli again = Cli.run(args("register"));
    assertEquals(0, again.code(), again.toString());
    assertTrue(
        again.out().contains("version 2") && again.out().contains("champion kept"), again.out());
    Path img = Cli.sharedData().resolve("chest_xray_224/train/NORMAL/IM-0115-0001.jpeg");
    Cli pred =
        Cli.run(args("predict", "--model", "models:/cxr-pneumonia@champion", img.toString()));
    assertEquals(0, pred.code(), pred.toString());
    assertTrue(pred.out().contains("1 images:"), pred.out());
    Files.writeString(tmp.resolve("nometric.json"), "{\"test_auc\": 0.9}");
    Cli bad = Cli.run(args("register", "--metrics", tmp.resolve("nometric.json").toString()));
    assertEquals(2, bad.code(), bad.toString());
    assertTrue(bad.err().contains("test_f1"), bad.err());
    Cli name = Cli.run(args("register", "registry.name=no spaces/allowed"));
    assertEquals(2, name.code(), name.toString());
    Cli sync = Cli.run(args("runs", "sync", "--to", "http://127.0.0.1:1"));
    assertEquals(2, sync.code(), sync.toString());
    assertEquals(1, sync.err().lines().count(), sync.err());
    Cli malformed = Cli.run(args("train", "--tracking-uri", "ftp//nowhere"));
    assertEquals(2, malformed.code(), malformed.toString());
    assertTrue(malformed.err().contains("malformed"), malformed.err());
  }

  @Test
  void registerRefusesModelFilesThatAreNotOneSetAndMetricsOutsideTheirRange() throws Exception {
    Path models = tmp.resolve("models");
    String metrics = Files.readString(models.resolve("metrics.json"));
    String run = Files.readString(models.resolve("run.json"));
    JsonNode m = Json.JSON.readTree(metrics);
    List<String[]> cases =
        List.of(
            // a corrupt figure that would block every later promotion
            new String[] {
              "metrics.json",
              metrics.replaceFirst("\"test_f1\" : [0-9.]+", "\"test_f1\" : 5.0"),
              "expected a number in [0, 1]"
            },
            // metrics.json of another model (in range, but not what model.zip was trained to)
            new String[] {
              "metrics.json",
              metrics.replaceFirst("\"test_f1\" : [0-9.]+", "\"test_f1\" : 0.123"),
              "the metrics belong to another model"
            },
            // run.json of another run (a train that stopped after replacing model.zip)
            new String[] {
              "run.json",
              run.replace(
                  Json.JSON.readTree(run).path("run_id").asText(),
                  "0123456789abcdef0123456789abcdef"),
              "the model files are not one set"
            });
    int k = 0;
    for (String[] c : cases) {
      Path copy = Files.createDirectories(tmp.resolve("tampered-" + k++));
      try (var files = Files.list(models)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          Files.copy(f, copy.resolve(f.getFileName()));
        }
      }
      Files.writeString(copy.resolve(c[0]), c[1]);
      Cli reg = Cli.run(args(new String[] {"paths.models=" + copy}, "register"));
      assertEquals(2, reg.code(), c[2] + ": " + reg);
      assertTrue(reg.err().contains(c[2]), reg.err());
      assertEquals(1, reg.err().lines().count(), reg.err());
    }
    // test_f1 forged alike in metrics.json and in the model card: the run's own record says no
    Path forged = Files.createDirectories(tmp.resolve("forged"));
    try (var files = Files.list(models)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.copy(f, forged.resolve(f.getFileName()));
      }
    }
    Files.writeString(
        forged.resolve("metrics.json"),
        metrics.replaceFirst("\"test_f1\" : [0-9.]+", "\"test_f1\" : 0.999"));
    try (java.nio.file.FileSystem fs =
        java.nio.file.FileSystems.newFileSystem(forged.resolve("model.zip"))) {
      Path card = fs.getPath("cxr-model.json");
      var n =
          (com.fasterxml.jackson.databind.node.ObjectNode)
              Json.JSON.readTree(Files.readAllBytes(card));
      ((com.fasterxml.jackson.databind.node.ObjectNode) n.path("metrics")).put("test_f1", 0.999);
      Files.write(card, Json.JSON.writeValueAsBytes(n));
    }
    Cli reg = Cli.run(args(new String[] {"paths.models=" + forged}, "register"));
    assertEquals(2, reg.code(), reg.toString());
    assertTrue(reg.err().contains("the metrics were edited or belong to another run"), reg.err());
    // nothing was registered by the refusals: the first version is made now
    Cli ok = Cli.run(args("register"));
    assertEquals(0, ok.code(), ok.toString());
    assertTrue(ok.out().contains("version 1"), ok.out());
    assertTrue(m.get("test_f1").asDouble() <= 1);
  }

  @Test
  void failedTrainEvaluateAndRegisterLeaveEarlierOutputsByteIdentical() throws Exception {
    Map<String, String> before = digests("models", "reports", "artifacts");
    // a training that diverges stops as collapsed (exit 4) and writes nothing
    Cli collapsed =
        Cli.run(
            args(
                "train",
                "train.optimizer=sgd",
                "train.learning_rate=9.0",
                "train.epochs=8",
                "train.early_stopping.patience=8",
                "model.cnn.filters=[8, 16]",
                "model.cnn.dense_units=32"));
    assertEquals(4, collapsed.code(), collapsed.toString());
    // an evaluate of a model that is no model (exit 2)
    Path fake = Files.writeString(tmp.resolve("fake-model.zip"), "no");
    Cli eval = Cli.run(args("evaluate", "--model", fake.toString()));
    assertEquals(2, eval.code(), eval.toString());
    // a register of it (exit 2)
    Cli reg = Cli.run(args("register", "--model", fake.toString()));
    assertEquals(2, reg.code(), reg.toString());
    assertEquals(before, digests("models", "reports", "artifacts"), "byte for byte");
  }

  /** SHA-256 of every file under the folders (lock files aside), by relative path. */
  private Map<String, String> digests(String... folders) throws Exception {
    Map<String, String> m = new java.util.TreeMap<>();
    for (String f : folders) {
      Path dir = tmp.resolve(f);
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path p : s.filter(Files::isRegularFile).toList()) {
          if (!p.getFileName().toString().endsWith("cxr-lock")) {
            m.put(tmp.relativize(p).toString(), io.cxr.core.io.Hashing.sha256(p));
          }
        }
      }
    }
    assertTrue(m.keySet().stream().anyMatch(k -> k.endsWith("model.zip")), m.toString());
    return m;
  }

  @Test
  void badInputIsOneLineAndExitTwo() throws Exception {
    List<Cli> runs = new ArrayList<>();
    runs.add(Cli.run(args("train", "train.epocs=3")));
    runs.add(Cli.run(args("prepare", "data.image_size=0")));
    runs.add(Cli.run(args("prepare", "data.image_size=-64")));
    runs.add(Cli.run(args("prepare", "--source", tmp.resolve("missing.npz").toString())));
    Path empty = Files.createFile(tmp.resolve("empty.jpeg"));
    runs.add(Cli.run(args("predict", empty.toString())));
    runs.add(Cli.run(args("evaluate", "--model", tmp.resolve("nope.zip").toString())));
    runs.add(Cli.run(args("train", "--model", "resnet")));
    for (Cli r : runs) {
      assertEquals(2, r.code(), r.toString());
      List<String> lines = r.err().lines().toList();
      assertEquals(1, lines.size(), "one line: " + r.err());
      assertTrue(lines.get(0).startsWith("cxr: error: "), r.err());
    }
    assertTrue(runs.get(0).err().contains("train.epocs"));
    assertTrue(runs.get(1).err().contains("data.image_size"));
    assertTrue(runs.get(4).err().contains("empty.jpeg"));
    try (Stream<Path> left = Files.list(tmp)) {
      assertTrue(
          left.map(p -> p.getFileName().toString())
              .noneMatch(n -> n.startsWith(".prepared.") && !n.endsWith(".cxr-lock")),
          "failed prepare runs leave no staging folder");
    }
  }

  @Test
  void everyCommandHasHelp() {
    for (String cmd : List.of("download", "prepare", "train", "evaluate", "predict", "register")) {
      Cli r = Cli.run(cmd, "--help");
      assertEquals(0, r.code(), r.toString());
      assertTrue(r.out().contains("--config"), cmd + ": " + r.out());
    }
    for (String cmd : List.of("optimize", "report")) {
      Cli r = Cli.run(cmd, "--help");
      assertEquals(0, r.code(), r.toString());
      assertTrue(r.out().contains("--config") && r.out().contains("Usage: cxr " + cmd), r.out());
    }
    Cli runs = Cli.run("runs", "--help");
    assertEquals(0, runs.code(), runs.toString());
    assertTrue(runs.out().contains("sync"), runs.out());
    Cli sync = Cli.run("runs", "sync", "--help");
    assertEquals(0, sync.code(), sync.toString());
    assertTrue(sync.out().contains("Usage: cxr runs sync"), sync.out());
    assertTrue(Cli.run("optimize", "--help").out().contains("--resume"));
    Cli top = Cli.run("--help");
    assertTrue(top.out().contains("prepare") && top.out().contains("Exit codes"), top.out());
  }

  @Test
  void predictAndEvaluateWarnWhenThisMachineDecodesJpegsDifferently() throws Exception {
    Path folder = Cli.copyKermany(tmp.resolve("decoder-src/train"), 60);
    String[] ocv = {
      "paths.prepared=" + tmp.resolve("ocv-prepared"),
      "paths.models=" + tmp.resolve("ocv-models"),
      "data.decoder=opencv",
      "data.folder_image_size=28",
      "data.min_split_images=1"
    };
    Cli prep = Cli.run(args(ocv, "prepare", "--source", folder.getParent().toString()));
    assertEquals(0, prep.code(), prep.toString());
    Cli train = Cli.run(args(ocv, "train", "train.epochs=1", "model.cnn.filters=[4]"));
    assertEquals(0, train.code(), train.toString());
    String card;
    try (java.util.zip.ZipFile zip =
        new java.util.zip.ZipFile(tmp.resolve("ocv-models/model.zip").toFile())) {
      card =
          new String(
              zip.getInputStream(zip.getEntry("cxr-model.json")).readAllBytes(),
              java.nio.charset.StandardCharsets.UTF_8);
    }
    assertTrue(card.contains("\"pixels_decoder\" : \"OpenCV"), card);
    String model = tmp.resolve("ocv-models/model.zip").toString();
    String img = folder.resolve("NORMAL").toString();

    // this machine decodes with libjpeg-turbo (CI installs it): a warning naming both decoders
    Cli warned = Cli.run(args("predict", "--model", model, "--format", "json", img));
    assertEquals(0, warned.code(), warned.toString());
    assertTrue(
        warned.err().contains("was trained on pixels decoded by [OpenCV")
            && warned.err().contains("this machine decodes with [libjpeg-turbo"),
        warned.err());
    assertEquals(60, Json.JSON.readTree(warned.out()).size(), "the JSON output is intact");

    Cli strict = Cli.run(args("predict", "--model", model, "--strict", img));
    assertEquals(2, strict.code(), strict.toString());
    assertEquals(1, strict.err().strip().lines().count(), strict.err());
    assertTrue(strict.err().startsWith("cxr: error: model " + model), strict.err());

    Cli evalStrict =
        Cli.run(
            args(
                "evaluate",
                "--model",
                model,
                "--data",
                folder.toString(),
                "--strict",
                "--out",
                tmp.resolve("ocv-eval").toString()));
    assertEquals(2, evalStrict.code(), evalStrict.toString());
    assertTrue(evalStrict.err().contains("(--strict)"), evalStrict.err());

    // pinned to the model's decoder: same pixels, no warning
    Cli pinned = Cli.run(args("predict", "--model", model, "--strict", img, "data.decoder=opencv"));
    assertEquals(0, pinned.code(), pinned.toString());
    assertTrue(!pinned.err().contains("decoded by"), pinned.err());
  }

  @Test
  void predictWritesQuotedCsvAndJsonToAFile() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("odd names"));
    Path img = dir.resolve("x-ray, \"front\".jpeg");
    Files.copy(
        Cli.sharedData()
            .resolve("chest_xray_224/train/PNEUMONIA")
            .resolve("person1000_bacteria_2931.jpeg"),
        img);
    Cli csv = Cli.run(args("predict", "--format", "csv", dir.toString()));
    assertEquals(0, csv.code(), csv.toString());
    List<String> lines = csv.out().strip().lines().toList();
    assertEquals("file,label,probability_pneumonia,error", lines.get(0));
    String quoted = "\"" + img.toString().replace("\"", "\"\"") + "\"";
    assertTrue(lines.get(1).startsWith(quoted + ","), lines.get(1));
    assertTrue(lines.get(1).matches(".*,(NORMAL|PNEUMONIA),[01]\\.\\d{6},$"), lines.get(1));

    Path out = tmp.resolve("predictions.json");
    Cli json = Cli.run(args("predict", "--format", "json", "-o", out.toString(), img.toString()));
    assertEquals(0, json.code(), json.toString());
    assertEquals("", json.out());
    JsonNode rows = Json.JSON.readTree(out.toFile());
    assertEquals(img.toString(), rows.get(0).get("file").asText());
  }

  @Test
  void trainCheckFitsOneBatchAndExitsFourWhenItCannot() {
    Cli ok = Cli.run(args("train", "--check", "model.cnn.filters=[8, 16]"));
    assertEquals(0, ok.code(), ok.toString());
    assertTrue(
        ok.out().contains("one-batch check (cnn,") && ok.out().contains(": passed"), ok.out());
    Cli bad = Cli.run(args("train", "--check", "train.optimizer=sgd", "train.learning_rate=9.0"));
    assertEquals(4, bad.code(), bad.toString());
    assertTrue(bad.out().contains("FAILED"), bad.out());
  }

  @Test
  void predictExplainWritesAGradCamOverlayPerImageAndAContactSheetButNeverIntoAForeignFolder()
      throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("explain-in"));
    for (String name : List.of("person1000_bacteria_2931.jpeg", "person1001_bacteria_2932.jpeg")) {
      Files.copy(
          Cli.sharedData().resolve("chest_xray_224/train/PNEUMONIA").resolve(name),
          dir.resolve(name));
    }
    Path maps = tmp.resolve("maps");
    Cli ok = Cli.run(args("predict", "--explain", maps.toString(), dir.toString()));
    assertEquals(0, ok.code(), ok.toString());
    for (String name :
        List.of(
            "person1000_bacteria_2931.jpeg.grad-cam.png",
            "person1001_bacteria_2932.jpeg.grad-cam.png",
            "contact-sheet.png")) {
      java.awt.image.BufferedImage png = javax.imageio.ImageIO.read(maps.resolve(name).toFile());
      assertTrue(png != null && png.getWidth() >= 256, name);
    }
    // again into its own output: allowed; into a folder holding a user's file: refused, untouched
    assertEquals(0, Cli.run(args("predict", "--explain", maps.toString(), dir.toString())).code());
    // the other method on request; an unknown one refused before any work
    java.util.function.Function<String, Cli> explainWith =
        method ->
            Cli.run(
                args(
                    "predict",
                    "--explain",
                    maps.toString(),
                    "--explain-method",
                    method,
                    dir.toString()));
    Cli occ = explainWith.apply("occlusion");
    assertEquals(0, occ.code(), occ.toString());
    assertTrue(Files.isRegularFile(maps.resolve("person1000_bacteria_2931.jpeg.occlusion.png")));
    Cli bogus = explainWith.apply("lime");
    assertEquals(2, bogus.code(), bogus.toString());
    assertTrue(
        bogus.err().contains("--explain-method: expected grad-cam or occlusion, got 'lime'"),
        bogus.err());
    Path foreign = Files.createDirectories(tmp.resolve("user-folder"));
    Files.writeString(foreign.resolve("notes.txt"), "mine");
    Cli refused = Cli.run(args("predict", "--explain", foreign.toString(), dir.toString()));
    assertEquals(2, refused.code(), refused.toString());
    assertTrue(refused.err().contains("notes.txt"), refused.err());
    try (var s = Files.list(foreign)) {
      assertEquals(1, s.count());
    }
  }

  @Test
  void predictOnAFolderWithABadFilePredictsTheGoodOnesNamesTheBadOneAndExitsFive()
      throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("mixed"));
    Files.copy(
        Cli.sharedData().resolve("chest_xray_224/train/NORMAL").resolve("IM-0115-0001.jpeg"),
        dir.resolve("good.jpeg"));
    Files.writeString(dir.resolve("broken.jpeg"), "not a jpeg");
    Cli table = Cli.run(args("predict", dir.toString()));
    assertEquals(5, table.code(), table.toString());
    assertTrue(
        table.out().matches("(?s).*(NORMAL|PNEUMONIA) +[01]\\.\\d{4} +\\S*good\\.jpeg.*"),
        table.out());
    assertTrue(table.err().contains("broken.jpeg"), table.err());
    assertTrue(table.err().contains("1 of 2 images could not be read"), table.err());
    Cli json = Cli.run(args("predict", "--format", "json", dir.toString()));
    assertEquals(5, json.code(), json.toString());
    JsonNode rows = Json.JSON.readTree(json.out());
    assertEquals(2, rows.size());
    int bad = rows.get(0).get("file").asText().endsWith("broken.jpeg") ? 0 : 1;
    assertEquals("ERROR", rows.get(bad).get("label").asText());
    assertTrue(rows.get(bad).get("probability_pneumonia").isNull());
    assertTrue(rows.get(bad).get("error").asText().length() > 0);
    assertTrue(rows.get(1 - bad).get("probability_pneumonia").isNumber());
  }

  @Test
  void evaluateRefusesASplitLayoutWithoutTestUnlessASplitIsNamedAndWarnsOnTheTrainingSource()
      throws Exception {
    Path flat = Cli.copyKermany(tmp.resolve("no-test-src"), 6);
    Path layout = Files.createDirectories(tmp.resolve("no-test"));
    Files.move(flat, layout.resolve("train"));
    Path out = tmp.resolve("no-test-eval");
    Cli refused = Cli.run(args("evaluate", "--data", layout.toString(), "--out", out.toString()));
    assertEquals(2, refused.code(), refused.toString());
    assertTrue(refused.err().contains("has no test split"), refused.err());
    assertTrue(refused.err().contains("--split"), refused.err());
    assertFalse(Files.exists(out.resolve("evaluation.json")), "nothing scored, nothing written");

    Cli named =
        Cli.run(
            args(
                "evaluate",
                "--data",
                layout.toString(),
                "--split",
                "train",
                "--out",
                out.toString()));
    assertTrue(named.out().contains("train split"), named.out());
    JsonNode scored = Json.JSON.readTree(out.resolve("evaluation.json").toFile());
    assertEquals(12, scored.get("test_n").asInt());
    assertEquals(
        scored.get("gate_passed").asDouble() == 1.0 ? 0 : 1, named.code(), named.toString());

    // the shared model was prepared from this folder: evaluate says so
    Path source = TrainedWorkspace.source();
    Cli own =
        Cli.run(
            args(
                "evaluate",
                "--data",
                source.toString(),
                "--out",
                tmp.resolve("own-eval").toString()));
    assertEquals(
        Json.JSON
                    .readTree(tmp.resolve("own-eval/evaluation.json").toFile())
                    .get("gate_passed")
                    .asDouble()
                == 1.0
            ? 0
            : 1,
        own.code(),
        own.toString());
    assertTrue(own.err().contains("is the source this model was prepared from"), own.err());
  }

  @Test
  void theCropTravelsWithTheModelIntoPredictAndEvaluate() throws Exception {
    ModelBundle model = ModelBundle.load(tmp.resolve("models/model.zip"));
    assertEquals(0.1, model.card().cropOrZero(), 1e-12, "the default data.crop, from the data");
    // predict on a source file scores exactly what train scored for it in the prepared test split
    PreparedDataset.Images test = PreparedDataset.load(tmp.resolve("prepared")).split(Split.TEST);
    List<String> rows = Files.readAllLines(tmp.resolve("prepared/samples.csv"));
    String[] row =
        rows.stream().filter(l -> l.startsWith("test,")).findFirst().orElseThrow().split(",");
    Path file = TrainedWorkspace.source().resolve(row[2]);
    Cli json = Cli.run(args("predict", "--format", "json", file.toString()));
    assertEquals(0, json.code(), json.toString());
    double predicted =
        Json.JSON.readTree(json.out()).get(0).get("probability_pneumonia").asDouble();
    double prepared = Scorer.scores(model, test.image(Integer.parseInt(row[1])), 1)[0];
    assertEquals(prepared, predicted, 1e-4, file.toString());

    // data prepared with another crop is refused by evaluate, naming the key to set
    Cli prep =
        Cli.run(
            args(
                new String[] {"paths.prepared=" + tmp.resolve("uncropped")},
                "prepare",
                "--source",
                TrainedWorkspace.source().toString(),
                "data.crop=0"));
    assertEquals(0, prep.code(), prep.toString());
    Cli refused =
        Cli.run(args(new String[] {"paths.prepared=" + tmp.resolve("uncropped")}, "evaluate"));
    assertEquals(2, refused.code(), refused.toString());
    assertTrue(refused.err().contains("data.crop=0.1"), refused.err());

    // data prepared again with another seed: its test split holds training images; say so
    Cli reseeded =
        Cli.run(
            args(
                new String[] {"paths.prepared=" + tmp.resolve("reseeded")},
                "prepare",
                "--source",
                TrainedWorkspace.source().toString(),
                "seed=7"));
    assertEquals(0, reseeded.code(), reseeded.toString());
    Cli leaky =
        Cli.run(
            args(
                new String[] {
                  "paths.prepared=" + tmp.resolve("reseeded"),
                  "paths.reports=" + tmp.resolve("reseeded-reports")
                },
                "evaluate"));
    assertTrue(leaky.code() == 0 || leaky.code() == 1, leaky.toString());
    assertTrue(
        leaky.err().contains("its test split may hold the model's training images"), leaky.err());
    // (the data it was trained on gives no such warning: core's TrainerTest)
  }
}
