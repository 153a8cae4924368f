package io.cxr.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cxr.core.io.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * Debian's Chromium, headless, driven through the DevTools protocol on loopback: one page, its
 * commands and the events it sent. For tests of what a person sees in a browser.
 */
final class HeadlessChromium implements AutoCloseable {
  private static final Pattern DEVTOOLS = Pattern.compile("DevTools listening on (ws://\\S+)");

  private final Process process;
  private final WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  private final List<JsonNode> events = new CopyOnWriteArrayList<>();

  /** The chromium binary; absent: a failure under CI=true, else the test is skipped. */
  static Path binary() {
    for (String name : List.of("chromium", "chromium-browser")) {
      for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
        Path p = Path.of(dir, name);
        if (Files.isExecutable(p)) {
          return p;
        }
      }
    }
    String why = "chromium is not installed (apt-get install chromium)";
    if ("true".equals(System.getenv("CI"))) {
      throw new AssertionError(why);
    }
    Assumptions.abort(why);
    return null;
  }

  /** Starts Chromium on about:blank with a fresh profile in {@code profile}. */
  static HeadlessChromium start(Path profile) throws Exception {
    Process p =
        new ProcessBuilder(
                binary().toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-component-update",
                "--disable-sync",
                "--user-data-dir=" + profile,
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "--window-size=1280,900",
                "about:blank")
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    String browserWs = null;
    try {
      BufferedReader err =
          new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      StringBuilder seen = new StringBuilder();
      String line;
      while (browserWs == null && System.nanoTime() < deadline && (line = err.readLine()) != null) {
        seen.append(line).append('\n');
        Matcher m = DEVTOOLS.matcher(line);
        if (m.find()) {
          browserWs = m.group(1);
        }
      }
      if (browserWs == null) {
        throw new AssertionError("chromium did not open its DevTools port:\n" + seen);
      }
      // keep draining stderr so chromium never blocks on a full pipe
      Thread drain =
          new Thread(
              () -> {
                try {
                  while (err.readLine() != null) {
                    // discard
                  }
                } catch (IOException e) {
                  // the process ended
                }
              },
              "chromium-stderr");
      drain.setDaemon(true);
      drain.start();
      URI ws = URI.create(browserWs);
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
      HttpResponse<String> list =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ws.getPort() + "/json/list"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      String pageWs = null;
      for (JsonNode t : Json.JSON.readTree(list.body())) {
        if ("page".equals(t.path("type").asText())) {
          pageWs = t.path("webSocketDebuggerUrl").asText();
          break;
        }
      }
      if (pageWs == null) {
        throw new AssertionError("chromium has no page target: " + list.body());
      }
      return new HeadlessChromium(p, http, URI.create(pageWs));
    } catch (Exception | AssertionError e) {
      kill(p);
      throw e;
    }
  }

  private HeadlessChromium(Process process, HttpClient http, URI page) {
    this.process = process;
    this.socket =
        http.newWebSocketBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .buildAsync(page, new Listener())
            .join();
  }

  /** Sends a DevTools command and waits for its result (an error answer is a failure). */
  JsonNode call(String method, Map<String, ?> params) throws Exception {
    int id = ids.incrementAndGet();
    ObjectNode msg = Json.JSON.createObjectNode();
    msg.put("id", id);
    msg.put("method", method);
    msg.set("params", Json.JSON.valueToTree(params));
    CompletableFuture<JsonNode> answer = new CompletableFuture<>();
    pending.put(id, answer);
    socket.sendText(Json.JSON.writeValueAsString(msg), true).join();
    JsonNode r = answer.get(120, TimeUnit.SECONDS);
    if (r.has("error")) {
      throw new AssertionError(method + " failed: " + r.get("error"));
    }
    return r.path("result");
  }

  /** Waits until an event named {@code method} has arrived. */
  JsonNode await(String method, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (JsonNode e : events) {
        if (method.equals(e.path("method").asText())) {
          return e;
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no " + method + " event within " + timeout);
  }

  /** Every event received so far. */
  List<JsonNode> events() {
    return List.copyOf(events);
  }

  @Override
  public void close() {
    try {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      // the browser goes anyway
    }
    kill(process);
  }

  private static void kill(Process p) {
    List<ProcessHandle> children = p.descendants().toList();
    p.destroy();
    children.forEach(ProcessHandle::destroy);
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        try {
          JsonNode msg = Json.JSON.readTree(partial.toString());
          if (msg.has("id")) {
            CompletableFuture<JsonNode> f = pending.remove(msg.get("id").asInt());
            if (f != null) {
              f.complete(msg);
            }
          } else {
            events.add(msg);
          }
        } catch (IOException e) {
          // not JSON: ignore
        }
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }
  }
}
