package io.cxr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile input, one row each: the exit code, an error message that names the offending file, key
 * or value, exactly one error line, and no file left behind in the case's folder (MLflow's run
 * records and lock files excepted). Every command is covered; the rows read the model and prepared
 * data of the shared {@link TrainedWorkspace} (real Kermany images) and never write into them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileInputTest {
  static Path base;
  static Path model;
  static final ObjectMapper JSON = new ObjectMapper();
  static Path prepared;

  /** Makes the files a row needs inside its folder. */
  @FunctionalInterface
  interface Setup {
    void in(Path dir) throws Exception;
  }

  /** One row: what is run, and what must come out. */
  record Case(String name, int code, String names, Setup setup, String... args) {
    @Override
    public String toString() {
      return name;
    }
  }

  @BeforeAll
  void sharedModel(@TempDir Path dir) {
    base = dir;
    prepared = TrainedWorkspace.prepared();
    model = TrainedWorkspace.model();
  }

  static Stream<Case> cases() {
    List<Case> c = new ArrayList<>();
    Setup none = d -> {};
    // --- configuration and command line
    c.add(new Case("unknown key", 2, "train.epocs", none, "train", "train.epocs=3"));
    c.add(
        new Case(
            "wrong type", 2, "expected an integer, got 'abc'", none, "train", "train.epochs=abc"));
    c.add(new Case("image size 0", 2, "data.image_size", none, "prepare", "data.image_size=0"));
    c.add(new Case("crop of a third", 2, "data.crop", none, "prepare", "data.crop=0.33"));
    c.add(
        new Case(
            "folder image size 1",
            2,
            "data.folder_image_size",
            none,
            "prepare",
            "data.folder_image_size=1"));
    c.add(
        new Case(
            "negative learning rate",
            2,
            "train.learning_rate",
            none,
            "train",
            "train.learning_rate=-1"));
    c.add(
        new Case(
            "unknown optimizer", 2, "train.optimizer", none, "train", "train.optimizer=adamw"));
    c.add(new Case("unknown model type", 2, "model.type", none, "train", "model.type=transformer"));
    c.add(
        new Case(
            "missing config file", 2, "nope.yaml", none, "train", "--config", "{d}/nope.yaml"));
    c.add(
        new Case(
            "duplicate YAML key",
            2,
            "dup.yaml",
            d -> Files.writeString(d.resolve("dup.yaml"), "seed: 1\nseed: 2\n"),
            "train",
            "--config",
            "{d}/dup.yaml"));
    c.add(
        new Case(
            "YAML syntax error",
            2,
            "line",
            d -> Files.writeString(d.resolve("bad.yaml"), "train: [1, 2\n"),
            "train",
            "--config",
            "{d}/bad.yaml"));
    c.add(
        new Case(
            "malformed tracking URI",
            2,
            "malformed",
            none,
            "train",
            "--tracking-uri",
            "ftp//nowhere"));
    c.add(new Case("unknown option", 2, "--bogus", none, "train", "--bogus"));
    // --- prepare: sources
    c.add(new Case("source missing", 2, "{d}/none", none, "prepare", "--source", "{d}/none"));
    c.add(
        new Case(
            "source is a text file",
            2,
            "notes.txt",
            d -> Files.writeString(d.resolve("notes.txt"), "hello"),
            "prepare",
            "--source",
            "{d}/notes.txt"));
    c.add(
        new Case(
            "npz that is not a zip",
            2,
            "junk.npz",
            d -> Files.write(d.resolve("junk.npz"), new byte[] {1, 2, 3, 4}),
            "prepare",
            "--source",
            "{d}/junk.npz"));
    c.add(
        new Case(
            "npz without train labels",
            2,
            "train_labels",
            d -> npz(d.resolve("x.npz"), "train_labels.npy"),
            "prepare",
            "--source",
            "{d}/x.npz"));
    c.add(
        new Case(
            "npz with an unsupported dtype",
            2,
            "dtype",
            d -> npzWithEntry(d.resolve("x.npz"), "train_labels.npy", npy("<c16", 4)),
            "prepare",
            "--source",
            "{d}/x.npz"));
    c.add(
        new Case(
            "npz with a huge declared shape",
            2,
            "train_images",
            d ->
                npzWithEntry(
                    d.resolve("x.npz"), "train_images.npy", npy("|u1", 2_000_000_000, 28, 28)),
            "prepare",
            "--source",
            "{d}/x.npz"));
    c.add(
        new Case(
            "corrupt JPEG",
            2,
            "person1_bacteria_1.jpeg",
            d ->
                kermany(
                    d,
                    "PNEUMONIA/person1_bacteria_1.jpeg",
                    new byte[] {(byte) 0xFF, (byte) 0xD8, 1, 2, 3}),
            "prepare",
            "--source",
            "{d}/k"));
    c.add(
        new Case(
            "empty JPEG",
            2,
            "person2_bacteria_2.jpeg",
            d -> kermany(d, "PNEUMONIA/person2_bacteria_2.jpeg", new byte[0]),
            "prepare",
            "--source",
            "{d}/k"));
    c.add(
        new Case(
            "1x1 JPEG",
            2,
            "1x1 pixels",
            d -> kermany(d, "NORMAL/IM-9999-0001.jpeg", jpeg(1, 1)),
            "prepare",
            "--source",
            "{d}/k"));
    c.add(
        new Case(
            "text file among images",
            2,
            "notes.txt",
            d -> kermany(d, "NORMAL/notes.txt", "hello".getBytes()),
            "prepare",
            "--source",
            "{d}/k"));
    c.add(
        new Case(
            "external set sharing a training image (leakage)",
            2,
            "NORMAL/copy.jpeg is identical to train/NORMAL/IM-0115-0001.jpeg",
            d -> {
              kermany(d, null, null);
              Path ext = d.resolve("ext");
              Files.createDirectories(ext.resolve("NORMAL"));
              Files.createDirectories(ext.resolve("PNEUMONIA"));
              Files.copy(
                  d.resolve("k/train/NORMAL/IM-0115-0001.jpeg"), ext.resolve("NORMAL/copy.jpeg"));
              try (var s =
                  Files.list(Cli.sharedData().resolve("chest_xray_224_external/val/PNEUMONIA"))) {
                Path p = s.sorted().findFirst().orElseThrow();
                Files.copy(p, ext.resolve("PNEUMONIA").resolve(p.getFileName()));
              }
            },
            "prepare",
            "--source",
            "{d}/k",
            "data.external=[{d}/ext]"));
    c.add(
        new Case(
            "external set without a class",
            2,
            "{d}/ext",
            d -> {
              kermany(d, null, null);
              Files.createDirectories(d.resolve("ext/NORMAL"));
              Files.createDirectories(d.resolve("ext/PNEUMONIA"));
              Files.copy(
                  Cli.sharedData().resolve("chest_xray_224/train/NORMAL/IM-0115-0001.jpeg"),
                  d.resolve("ext/NORMAL/a.jpeg"));
            },
            "prepare",
            "--source",
            "{d}/k",
            "data.external=[{d}/ext]"));
    c.add(
        new Case(
            "threshold on external data without a set",
            2,
            "train.threshold_on",
            none,
            "train",
            "train.threshold_on=external"));
    c.add(
        new Case(
            "class folder missing",
            2,
            "PNEUMONIA",
            d -> {
              kermany(d, null, null);
              deleteTree(d.resolve("k/train/PNEUMONIA"));
            },
            "prepare",
            "--source",
            "{d}/k"));
    c.add(
        new Case(
            "prepared path is a file",
            2,
            "{d}/out",
            d -> Files.writeString(d.resolve("out"), "mine"),
            "prepare",
            "--source",
            "{npz}",
            "paths.prepared={d}/out"));
    c.add(
        new Case(
            "prepared path is a foreign folder",
            2,
            "refusing to replace",
            d ->
                Files.writeString(
                    Files.createDirectories(d.resolve("out")).resolve("mine.txt"), "mine"),
            "prepare",
            "--source",
            "{npz}",
            "paths.prepared={d}/out"));
    c.add(
        new Case(
            "prepare over a user's file beside prepared data",
            2,
            "notes.txt, which cxr prepare did not write",
            d -> {
              copyTree(prepared, d.resolve("p"));
              Files.writeString(d.resolve("p/notes.txt"), "mine");
            },
            "prepare",
            "--source",
            "{npz}",
            "paths.prepared={d}/p"));
    c.add(
        new Case(
            "prepare into the root folder",
            2,
            "the root of the file system",
            none,
            "prepare",
            "--source",
            "{npz}",
            "-o",
            "/"));
    // --- train
    c.add(
        new Case(
            "no prepared data", 2, "{d}/nothing", none, "train", "paths.prepared={d}/nothing"));
    c.add(
        new Case(
            "prepared tensor edited",
            2,
            "x_train.npy",
            d -> {
              copyTree(prepared, d.resolve("p"));
              byte[] x = Files.readAllBytes(d.resolve("p/x_train.npy"));
              x[x.length - 1] ^= 1;
              Files.write(d.resolve("p/x_train.npy"), x);
            },
            "train",
            "paths.prepared={d}/p"));
    c.add(
        new Case(
            "manifest not JSON",
            2,
            "manifest.json",
            d -> {
              copyTree(prepared, d.resolve("p"));
              Files.writeString(d.resolve("p/manifest.json"), "{not json");
            },
            "train",
            "paths.prepared={d}/p"));
    c.add(
        new Case(
            "resume without a checkpoint",
            2,
            "no checkpoint",
            none,
            "train",
            "--resume",
            "paths.models={d}/m"));
    c.add(
        new Case(
            "models folder holding a file cxr did not write",
            2,
            "holds config.yaml, which cxr did not write",
            d -> {
              copyTree(prepared, d.resolve("p"));
              Files.writeString(
                  Files.createDirectories(d.resolve("m")).resolve("config.yaml"), "mine");
            },
            "train",
            "paths.prepared={d}/p",
            "paths.models={d}/m"));
    c.add(
        new Case(
            "artifacts folder holding a file cxr did not write",
            2,
            "holds roc_curve.png, which cxr did not write",
            d -> {
              copyTree(prepared, d.resolve("p"));
              Files.writeString(
                  Files.createDirectories(d.resolve("a/cxr")).resolve("roc_curve.png"), "mine");
            },
            "train",
            "paths.prepared={d}/p",
            "paths.models={d}/m",
            "paths.artifacts={d}/a"));
    // --- evaluate
    c.add(
        new Case(
            "evaluate -o a folder holding a file cxr did not write",
            2,
            "holds evaluation.md, which cxr did not write",
            d ->
                Files.writeString(
                    Files.createDirectories(d.resolve("out")).resolve("evaluation.md"), "mine"),
            "evaluate",
            "--model",
            "{model}",
            "--data",
            "{npz}",
            "-o",
            "{d}/out"));
    c.add(
        new Case(
            "evaluate -o a file",
            2,
            "{d}/out: is a file",
            d -> Files.writeString(d.resolve("out"), "mine"),
            "evaluate",
            "--model",
            "{model}",
            "--data",
            "{npz}",
            "-o",
            "{d}/out"));
    c.add(
        new Case("model missing", 2, "{d}/none.zip", none, "evaluate", "--model", "{d}/none.zip"));
    c.add(
        new Case(
            "model not a zip",
            2,
            "fake.zip",
            d -> Files.writeString(d.resolve("fake.zip"), "no"),
            "evaluate",
            "--model",
            "{d}/fake.zip"));
    c.add(
        new Case(
            "split layout without test",
            2,
            "has no test split",
            d -> {
              kermany(d, null, null);
              Files.createDirectories(d.resolve("k/val"));
              copyTree(d.resolve("k/train"), d.resolve("k/val"));
            },
            "evaluate",
            "--model",
            "{model}",
            "--data",
            "{d}/k"));
    c.add(
        new Case(
            "unknown split",
            2,
            "got 'holdout'",
            none,
            "evaluate",
            "--model",
            "{model}",
            "--data",
            "{npz}",
            "--split",
            "holdout"));
    // --- predict
    c.add(
        new Case(
            "image missing",
            2,
            "{d}/none.jpeg",
            none,
            "predict",
            "--model",
            "{model}",
            "{d}/none.jpeg"));
    c.add(
        new Case(
            "one unreadable image",
            2,
            "bad.jpeg",
            d -> Files.write(d.resolve("bad.jpeg"), new byte[] {1, 2, 3}),
            "predict",
            "--model",
            "{model}",
            "{d}/bad.jpeg"));
    c.add(
        new Case(
            "a folder with one bad image",
            5,
            "bad.jpeg",
            d -> {
              kermany(d, null, null);
              Files.write(d.resolve("k/train/NORMAL/bad.jpeg"), new byte[] {1, 2, 3});
            },
            "predict",
            "--model",
            "{model}",
            "{d}/k/train/NORMAL"));
    c.add(
        new Case(
            "model card with a crop of a half",
            2,
            "crop 0.5 in cxr-model.json",
            d -> editedCard(d.resolve("crop.zip"), n -> n.put("crop", 0.5)),
            "predict",
            "--model",
            "{d}/crop.zip",
            "{npz}"));
    c.add(
        new Case(
            "model card claiming 1024 px",
            2,
            "says 1024x1024 images, which its network does not take",
            d -> editedCard(d.resolve("big.zip"), n -> n.put("imageSize", 1024)),
            "predict",
            "--model",
            "{d}/big.zip",
            "{jpeg}"));
    c.add(
        new Case(
            "model card with an unknown model type",
            2,
            "expected one of cnn, dense, got 'transformer'",
            d -> editedCard(d.resolve("odd.zip"), n -> n.put("modelType", "transformer")),
            "predict",
            "--model",
            "{d}/odd.zip",
            "{jpeg}"));
    c.add(
        new Case(
            "unknown format",
            2,
            "got 'xml'",
            none,
            "predict",
            "--model",
            "{model}",
            "--format",
            "xml",
            "{npz}"));
    c.add(
        new Case(
            "explain into a foreign folder",
            2,
            "notes.txt",
            d ->
                Files.writeString(
                    Files.createDirectories(d.resolve("maps")).resolve("notes.txt"), "mine"),
            "predict",
            "--model",
            "{model}",
            "--explain",
            "{d}/maps",
            "{jpeg}"));
    c.add(
        new Case(
            "unknown explain method",
            2,
            "got 'lime'",
            none,
            "predict",
            "--model",
            "{model}",
            "--explain",
            "{d}/maps",
            "--explain-method",
            "lime",
            "{jpeg}"));
    c.add(
        new Case(
            "predict -o over a user's file",
            2,
            "people.csv",
            d -> Files.writeString(d.resolve("people.csv"), "name,age\nann,3\n"),
            "predict",
            "--model",
            "{model}",
            "--format",
            "csv",
            "-o",
            "{d}/people.csv",
            "{jpeg}"));
    c.add(
        new Case(
            "explain over a user's map",
            2,
            "mine.grad-cam.png",
            d ->
                Files.writeString(
                    Files.createDirectories(d.resolve("maps")).resolve("mine.grad-cam.png"),
                    "mine"),
            "predict",
            "--model",
            "{model}",
            "--explain",
            "{d}/maps",
            "{jpeg}"));
    c.add(
        new Case(
            "optimize over a user's settings file",
            2,
            "hpo.output",
            d -> Files.writeString(d.resolve("settings.yaml"), "mine: 1\n"),
            "optimize",
            "hpo.trials=1",
            "hpo.output={d}/settings.yaml"));
    c.add(
        new Case(
            "two steps of a fanned-out search at once",
            2,
            "one at a time",
            none,
            "optimize",
            "--plan",
            "--select"));
    c.add(
        new Case(
            "a genetic search planned",
            2,
            "hpo.strategy=genetic",
            none,
            "optimize",
            "--plan",
            "hpo.strategy=genetic"));
    c.add(
        new Case("experiment named ..", 2, "experiment.name", none, "train", "experiment.name=.."));
    c.add(
        new Case(
            "predict a truncated JPEG",
            2,
            "truncated JPEG",
            d -> {
              byte[] j = Files.readAllBytes(Path.of(expand("{jpeg}", d)));
              Files.write(d.resolve("half.jpeg"), java.util.Arrays.copyOf(j, j.length / 2));
            },
            "predict",
            "--model",
            "{model}",
            "{d}/half.jpeg"));
    // --- register, report, runs
    c.add(
        new Case(
            "metric outside [0, 1]",
            2,
            "[0, 1]",
            d -> Files.writeString(d.resolve("m.json"), "{\"test_f1\": 5.0}"),
            "register",
            "--model",
            "{model}",
            "--metrics",
            "{d}/m.json"));
    c.add(
        new Case(
            "metrics without the registry metric",
            2,
            "test_f1",
            d -> Files.writeString(d.resolve("m.json"), "{\"test_auc\": 0.9}"),
            "register",
            "--model",
            "{model}",
            "--metrics",
            "{d}/m.json"));
    c.add(
        new Case(
            "registry name with spaces",
            2,
            "registry.name",
            none,
            "register",
            "--model",
            "{model}",
            "registry.name=no spaces/allowed"));
    c.add(
        new Case(
            "report over a foreign file",
            2,
            "is not a report cxr wrote",
            d -> Files.writeString(d.resolve("mine.html"), "<p>mine</p>"),
            "report",
            "--model",
            "{model}",
            "--data",
            "{prepared}",
            "--no-log",
            "-o",
            "{d}/mine.html"));
    c.add(
        new Case(
            "report format pdf",
            2,
            "got 'pdf'",
            none,
            "report",
            "--model",
            "{model}",
            "--format",
            "pdf"));
    c.add(
        new Case(
            "sync to a server that is not there",
            2,
            "127.0.0.1:1",
            none,
            "runs",
            "sync",
            "--to",
            "http://127.0.0.1:1"));
    return c.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void eachHostileInputIsOneLineNamingTheOffenderWithItsExitCodeAndNoLeftovers(Case c)
      throws Exception {
    Path d = Files.createDirectories(base.resolve("case-" + Math.abs(c.name().hashCode())));
    c.setup().in(d);
    List<String> before = files(d);
    List<String> args = new ArrayList<>();
    for (String a : c.args()) {
      args.add(expand(a, d));
    }
    for (String iso : Cli.isolated(d)) {
      String key = iso.substring(0, iso.indexOf('=') + 1);
      if (key.equals("paths.prepared=") && !args.get(0).equals("prepare")) {
        iso = key + prepared; // the other commands read the shared prepared data
      }
      if (args.stream().noneMatch(a -> a.startsWith(key))) {
        args.add(iso);
      }
    }
    Cli r = Cli.run(args.toArray(String[]::new));
    String names = expand(c.names(), d);
    assertEquals(c.code(), r.code(), c.name() + ": " + r);
    List<String> errors = r.err().lines().filter(l -> l.startsWith("cxr: error:")).toList();
    if (c.code() == 2) {
      assertEquals(1, errors.size(), c.name() + ": one error line: " + r.err());
    }
    assertTrue(r.err().contains(names), c.name() + ": names '" + names + "': " + r.err());
    assertEquals(before, files(d), c.name() + ": no file left behind");
  }

  /** A copy of the shared model at {@code zip} whose card {@code edit} changed. */
  private static void editedCard(Path zip, java.util.function.Consumer<ObjectNode> edit)
      throws IOException {
    Files.copy(model, zip);
    try (FileSystem fs = FileSystems.newFileSystem(zip)) {
      Path card = fs.getPath("cxr-model.json");
      ObjectNode n = (ObjectNode) JSON.readTree(Files.readAllBytes(card));
      edit.accept(n);
      Files.write(card, JSON.writeValueAsBytes(n));
    }
  }

  /** Files under {@code dir}, minus MLflow's run records and lock files. */
  private static List<String> files(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile)
          .map(p -> dir.relativize(p).toString())
          .filter(p -> !p.startsWith("mlruns") && !p.endsWith("cxr-lock"))
          .sorted()
          .toList();
    }
  }

  private static String expand(String s, Path d) {
    return s.replace("{d}", d.toString())
        .replace("{model}", model.toString())
        .replace("{prepared}", prepared.toString())
        .replace("{npz}", Cli.sharedData().resolve("pneumoniamnist/pneumoniamnist.npz").toString())
        .replace(
            "{jpeg}",
            Cli.sharedData().resolve("chest_xray_224/train/NORMAL/IM-0115-0001.jpeg").toString());
  }

  /** A small Kermany folder {@code d/k/train/{NORMAL,PNEUMONIA}}, plus one file if given. */
  private static void kermany(Path d, String extra, byte[] bytes) throws IOException {
    Path train = d.resolve("k/train");
    if (!Files.isDirectory(train)) {
      Cli.copyKermany(train, 12);
    }
    if (extra != null) {
      Files.write(train.resolve(extra), bytes);
    }
  }

  private static byte[] jpeg(int w, int h) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    ImageIO.write(new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY), "jpeg", out);
    return out.toByteArray();
  }

  /** The real npz without one entry. */
  private static void npz(Path target, String without) throws IOException {
    copyNpz(target, without, null, null);
  }

  /** The real npz with one entry replaced. */
  private static void npzWithEntry(Path target, String entry, byte[] bytes) throws IOException {
    copyNpz(target, entry, entry, bytes);
  }

  private static void copyNpz(Path target, String skip, String add, byte[] bytes)
      throws IOException {
    Path src = Cli.sharedData().resolve("pneumoniamnist/pneumoniamnist.npz");
    try (ZipFile in = new ZipFile(src.toFile());
        OutputStream os = Files.newOutputStream(target);
        ZipOutputStream out = new ZipOutputStream(os)) {
      for (ZipEntry e : java.util.Collections.list(in.entries())) {
        if (e.getName().equals(skip)) {
          continue;
        }
        out.putNextEntry(new ZipEntry(e.getName()));
        in.getInputStream(e).transferTo(out);
        out.closeEntry();
      }
      if (add != null) {
        out.putNextEntry(new ZipEntry(add));
        out.write(bytes);
        out.closeEntry();
      }
    }
  }

  /** A .npy header declaring a dtype and shape, with a few bytes of data. */
  private static byte[] npy(String dtype, int... shape) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    io.cxr.core.data.Npy.writeHeader(out, dtype, shape);
    out.write(new byte[16]);
    return out.toByteArray();
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else if (!p.getFileName().toString().endsWith("cxr-lock")) {
          Files.copy(p, t);
        }
      }
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
