package io.cxr.core.download;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.TestData;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.data.DataSource;
import io.cxr.core.data.Sources;
import io.cxr.core.data.Split;
import io.cxr.core.io.Hashing;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The downloaders against a local HTTP server on 127.0.0.1 that plays Zenodo and Kaggle with files
 * built from the real shared data.
 */
class DownloaderTest {
  static final String USER = "cxr-tester";
  static final String KEY = "s3cr3t-kaggle-key-0123456789";

  @TempDir Path tmp;
  HttpServer server;
  byte[] npz;
  byte[] kaggleZip;
  String npzMd5;
  final AtomicInteger cutFirstNpzAt = new AtomicInteger(-1);
  final AtomicInteger npzRequests = new AtomicInteger();
  final List<String> rangeHeaders = new ArrayList<>();
  final List<String> authSeenOnStorage = new ArrayList<>();
  final java.util.concurrent.atomic.AtomicBoolean serveEvil =
      new java.util.concurrent.atomic.AtomicBoolean();

  @BeforeEach
  void serve() throws IOException {
    npz = Files.readAllBytes(TestData.npz());
    npzMd5 = Hashing.file(TestData.npz(), "MD5");
    kaggleZip = kermanyZip(8);
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/api/records/10519652",
        ex -> {
          String base = "http://127.0.0.1:" + server.getAddress().getPort();
          String json =
              "{\"id\": 10519652, \"files\": ["
                  + "{\"key\": \"pneumoniamnist.npz\", \"size\": "
                  + npz.length
                  + ", \"checksum\": \"md5:"
                  + npzMd5
                  + "\", \"links\": {\"self\": \""
                  + base
                  + "/api/records/10519652/files/pneumoniamnist.npz/content\"}},"
                  + "{\"key\": \"pneumoniamnist_64.npz\", \"checksum\": \"md5:0123456789abcdef0123456789abcdef\","
                  + " \"links\": {\"self\": \""
                  + base
                  + "/api/records/10519652/files/pneumoniamnist.npz/content\"}}]}";
          reply(ex, 200, json.getBytes(StandardCharsets.UTF_8), Map.of());
        });
    server.createContext(
        "/api/records/10519652/files/pneumoniamnist.npz/content",
        ex -> {
          npzRequests.incrementAndGet();
          String range = ex.getRequestHeaders().getFirst("Range");
          rangeHeaders.add(String.valueOf(range));
          int from = range == null ? 0 : Integer.parseInt(range.replaceAll("bytes=(\\d+)-", "$1"));
          int cut = cutFirstNpzAt.getAndSet(-1);
          byte[] body = java.util.Arrays.copyOfRange(npz, from, npz.length);
          ex.getResponseHeaders().add("Content-Length", String.valueOf(body.length));
          ex.sendResponseHeaders(range == null ? 200 : 206, body.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(body, 0, cut >= 0 ? cut : body.length); // cut: the connection drops
          } catch (IOException ignored) {
            // the client saw a short body
          }
        });
    server.createContext(
        "/api/v1/datasets/download/paultimothymooney/chest-xray-pneumonia",
        ex -> {
          String auth = ex.getRequestHeaders().getFirst("Authorization");
          String want =
              "Basic "
                  + Base64.getEncoder()
                      .encodeToString((USER + ":" + KEY).getBytes(StandardCharsets.UTF_8));
          if (!want.equals(auth)) {
            reply(ex, 401, "{\"code\":401}".getBytes(StandardCharsets.UTF_8), Map.of());
            return;
          }
          // Kaggle answers with a redirect to signed storage on another origin
          reply(
              ex,
              302,
              new byte[0],
              Map.of(
                  "Location",
                  "http://localhost:"
                      + server.getAddress().getPort()
                      + "/storage/archive.zip?X-Goog-Signature=abc"));
        });
    server.createContext(
        "/storage/archive.zip",
        ex -> {
          authSeenOnStorage.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
          reply(ex, 200, serveEvil.get() ? evilZip() : kaggleZip, Map.of());
        });
    server.createContext("/evil.zip", ex -> reply(ex, 200, evilZip(), Map.of()));
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private String base() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private CxrConfig cfg(String... more) {
    List<String> o =
        new ArrayList<>(
            List.of(
                "download.zenodo_api=" + base() + "/api",
                "download.kaggle_api=" + base() + "/api/v1",
                "download.retries=2",
                "download.timeout_seconds=10"));
    o.addAll(List.of(more));
    return TestData.config(tmp, o.toArray(String[]::new));
  }

  @Test
  void zenodoDownloadIsVerifiedAndIdentical() throws Exception {
    Downloader.Result r = Downloader.fetch(cfg(), Map.of(), null, Reporter.SILENT);
    assertArrayEquals(npz, Files.readAllBytes(r.data()));
    assertEquals("pneumoniamnist.npz", r.data().getFileName().toString());
    assertEquals(
        624,
        Sources.open(r.data(), true).samples().stream()
            .filter(s -> s.split() == Split.TEST)
            .count());
    // a second run finds the verified file and fetches nothing
    Downloader.Result again = Downloader.fetch(cfg(), Map.of(), null, Reporter.SILENT);
    assertTrue(again.alreadyPresent());
    assertEquals(1, npzRequests.get());
  }

  @Test
  void aFileOfTheSameNameThatCxrDidNotWriteIsNotReplaced() throws Exception {
    Path mine =
        Files.createDirectories(tmp.resolve("raw/pneumoniamnist")).resolve("pneumoniamnist.npz");
    Files.writeString(mine, "my own array");
    CxrException e =
        assertThrows(
            CxrException.class, () -> Downloader.fetch(cfg(), Map.of(), null, Reporter.SILENT));
    assertTrue(
        e.getMessage().startsWith(mine + ": exists and is not the record's file"), e.getMessage());
    assertEquals("my own array", Files.readString(mine));
    assertEquals(0, npzRequests.get(), "nothing downloaded");
  }

  @Test
  void interruptedDownloadResumesWithRange() throws Exception {
    cutFirstNpzAt.set(1_000_000); // then the server stalls: the watchdog must cut it
    Downloader.Result r =
        Downloader.fetch(cfg("download.timeout_seconds=2"), Map.of(), null, Reporter.SILENT);
    assertArrayEquals(npz, Files.readAllBytes(r.data()));
    assertEquals(2, npzRequests.get());
    assertEquals("bytes=1000000-", rangeHeaders.get(1));
    assertFalse(Files.exists(r.data().resolveSibling("pneumoniamnist.npz.part")));
  }

  @Test
  void checksumMismatchLeavesNoFile() {
    // the 64 entry claims a wrong md5 for the same bytes
    CxrException e =
        assertThrows(
            CxrException.class,
            () ->
                Downloader.fetch(
                    cfg("download.medmnist_size=64"), Map.of(), null, Reporter.SILENT));
    assertTrue(e.getMessage().contains("MD5"), e.getMessage());
    Path dir = tmp.resolve("raw/pneumoniamnist");
    assertFalse(Files.exists(dir.resolve("pneumoniamnist_64.npz")));
    assertFalse(Files.exists(dir.resolve("pneumoniamnist_64.npz.part")));
  }

  @Test
  void kaggleDownloadExtractsAKermanyFolderAndKeepsTheKeySecret() throws Exception {
    Map<String, String> env = Map.of("KAGGLE_USERNAME", USER, "KAGGLE_KEY", KEY);
    Downloader.Result r =
        Downloader.fetch(cfg("download.dataset=kermany"), env, null, Reporter.SILENT);
    DataSource src = Sources.open(r.data(), true);
    assertEquals(32, src.samples().size());
    assertTrue(src.splits().contains(Split.TEST) && src.splits().contains(Split.TRAIN));
    assertEquals(List.of("null"), authSeenOnStorage, "no credentials sent to another origin");
    assertFalse(Files.exists(tmp.resolve("raw/kermany/__MACOSX")));
    assertFalse(KaggleCredentials.resolve(env, null).toString().contains(KEY));
  }

  /** An archive refused at extraction is not kept to be refused again; a good one is fetched. */
  @Test
  void aRefusedKaggleArchiveIsNotKeptAndTheNextRunDownloadsAgain() throws Exception {
    Map<String, String> env = Map.of("KAGGLE_USERNAME", USER, "KAGGLE_KEY", KEY);
    serveEvil.set(true);
    CxrException e =
        assertThrows(
            CxrException.class,
            () -> Downloader.fetch(cfg("download.dataset=kermany"), env, null, Reporter.SILENT));
    assertTrue(e.getMessage().contains("outside the target"), e.getMessage());
    assertTrue(e.getMessage().endsWith("; the download was removed"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("raw/chest-xray-pneumonia.zip")));
    assertFalse(Files.exists(tmp.resolve("raw/kermany")));
    serveEvil.set(false);
    Downloader.Result r =
        Downloader.fetch(cfg("download.dataset=kermany"), env, null, Reporter.SILENT);
    assertEquals(32, Sources.open(r.data(), true).samples().size());
  }

  /** A refused archive cxr did not fetch in this run is named, not removed. */
  @Test
  void aRefusedArchiveFromBeforeIsNamedAndKept() throws Exception {
    Map<String, String> env = Map.of("KAGGLE_USERNAME", USER, "KAGGLE_KEY", KEY);
    Path zip = Files.createDirectories(tmp.resolve("raw")).resolve("chest-xray-pneumonia.zip");
    Files.write(zip, evilZip());
    CxrException e =
        assertThrows(
            CxrException.class,
            () -> Downloader.fetch(cfg("download.dataset=kermany"), env, null, Reporter.SILENT));
    assertTrue(e.getMessage().endsWith("remove it to download it again"), e.getMessage());
    assertTrue(Files.exists(zip));
  }

  @Test
  void aKermanyFolderCxrDidNotExtractIsNotReplaced() throws Exception {
    Map<String, String> env = Map.of("KAGGLE_USERNAME", USER, "KAGGLE_KEY", KEY);
    Path mine = Files.createDirectories(tmp.resolve("raw/kermany/train/NORMAL"));
    Files.writeString(mine.resolve("notes.txt"), "mine");
    CxrException e =
        assertThrows(
            CxrException.class,
            () -> Downloader.fetch(cfg("download.dataset=kermany"), env, null, Reporter.SILENT));
    assertTrue(e.getMessage().contains("refusing to replace it"), e.getMessage());
    assertEquals("mine", Files.readString(mine.resolve("notes.txt")));
  }

  @Test
  void kaggleCredentialsFromFileAndRefusal() throws Exception {
    Path json = tmp.resolve("kaggle.json");
    Files.writeString(json, "{\"username\": \"" + USER + "\", \"key\": \"wrong-key\"}");
    CxrException e =
        assertThrows(
            CxrException.class,
            () ->
                Downloader.fetch(cfg("download.dataset=kermany"), Map.of(), json, Reporter.SILENT));
    assertTrue(e.getMessage().contains("HTTP 401"), e.getMessage());
    assertFalse(e.getMessage().contains("wrong-key"), "key not in the message");
    assertFalse(Files.exists(tmp.resolve("raw/chest-xray-pneumonia.zip")));
    CxrException none =
        assertThrows(
            CxrException.class,
            () ->
                Downloader.fetch(
                    cfg("download.dataset=kermany"),
                    Map.of(),
                    tmp.resolve("absent.json"),
                    Reporter.SILENT));
    assertTrue(none.getMessage().contains("KAGGLE_USERNAME"), none.getMessage());
  }

  @Test
  void zipEntriesCannotEscapeTheTarget() throws Exception {
    Path zip = tmp.resolve("evil.zip");
    Files.write(zip, evilZip());
    CxrException e =
        assertThrows(CxrException.class, () -> SafeZip.extract(zip, tmp.resolve("out")));
    assertTrue(e.getMessage().contains("outside the target"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("escaped.txt")));
    assertFalse(Files.exists(tmp.resolve("out")));
  }

  @Test
  void truncatedArchiveIsNotAccepted() throws Exception {
    Path zip = tmp.resolve("t.zip");
    Files.write(zip, java.util.Arrays.copyOf(kaggleZip, kaggleZip.length / 2));
    assertThrows(CxrException.class, () -> SafeZip.verify(zip));
  }

  /** A Kaggle-like archive: chest_xray/{train,test}/{NORMAL,PNEUMONIA} + macOS litter. */
  static byte[] kermanyZip(int perClass) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(b)) {
      for (String label : List.of("NORMAL", "PNEUMONIA")) {
        List<Path> files = TestData.jpegs(label, perClass * 2);
        for (int i = 0; i < files.size(); i++) {
          String split = i < perClass ? "train" : "test";
          zip.putNextEntry(
              new ZipEntry("chest_xray/" + split + "/" + label + "/" + files.get(i).getFileName()));
          zip.write(Files.readAllBytes(files.get(i)));
          zip.closeEntry();
        }
      }
      zip.putNextEntry(new ZipEntry("__MACOSX/chest_xray/._x"));
      zip.write(new byte[] {1, 2, 3});
      zip.closeEntry();
    }
    return b.toByteArray();
  }

  static byte[] evilZip() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(b)) {
      zip.putNextEntry(new ZipEntry("ok/file.txt"));
      zip.write("fine".getBytes(StandardCharsets.UTF_8));
      zip.closeEntry();
      zip.putNextEntry(new ZipEntry("../escaped.txt"));
      zip.write("evil".getBytes(StandardCharsets.UTF_8));
      zip.closeEntry();
    }
    return b.toByteArray();
  }

  private static void reply(HttpExchange ex, int code, byte[] body, Map<String, String> headers)
      throws IOException {
    headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
    ex.sendResponseHeaders(code, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
    ex.close();
  }
}
