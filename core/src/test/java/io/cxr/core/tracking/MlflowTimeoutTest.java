package io.cxr.core.tracking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.TestData;
import io.cxr.core.WarningRecorder;
import io.cxr.core.config.CxrConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tracking server that answers /health and then never answers again (a hung proxy, a stuck
 * server) must not hold cxr: past MLFLOW_HTTP_REQUEST_TIMEOUT the runs go to the local store.
 */
class MlflowTimeoutTest {
  @TempDir Path tmp;

  /** Answers GET /health with 200; holds every other request open without a byte. */
  static final class HungServer implements AutoCloseable {
    final ServerSocket socket;
    final List<Socket> held = new ArrayList<>();

    HungServer() throws Exception {
      socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread t = new Thread(this::serve, "hung-mlflow");
      t.setDaemon(true);
      t.start();
    }

    String uri() {
      return "http://127.0.0.1:" + socket.getLocalPort();
    }

    private void serve() {
      while (!socket.isClosed()) {
        try {
          Socket s = socket.accept();
          BufferedReader in =
              new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
          String first = in.readLine();
          if (first != null && first.startsWith("GET /health")) {
            OutputStream out = s.getOutputStream();
            out.write(
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            s.close();
          } else {
            synchronized (held) {
              held.add(s); // never answered
            }
          }
        } catch (Exception e) {
          return;
        }
      }
    }

    @Override
    public void close() throws Exception {
      socket.close();
      synchronized (held) {
        for (Socket s : held) {
          s.close();
        }
      }
    }
  }

  @Test
  @Timeout(120) // without a bound on the calls this test hangs: fail it instead
  void aServerThatStopsAnsweringFallsBackToTheLocalStoreOrFailsWhenRequired() throws Exception {
    try (HungServer hung = new HungServer()) {
      Map<String, String> env = Map.of("MLFLOW_HTTP_REQUEST_TIMEOUT", "1");
      CxrConfig optional = TestData.config(tmp, "tracking.uri=" + hung.uri());
      WarningRecorder warnings = new WarningRecorder();
      MirroredTracker t = Tracking.open(optional, env, warnings);
      assertNull(t.remote(), "recording locally");
      assertTrue(
          warnings.warnings.stream().anyMatch(w -> w.contains("no answer within 1 s")),
          warnings.warnings.toString());
      CxrConfig required =
          TestData.config(tmp, "tracking.uri=" + hung.uri(), "tracking.required=true");
      CxrException e =
          assertThrows(CxrException.class, () -> Tracking.open(required, env, Reporter.SILENT));
      assertEquals(
          "tracking server "
              + hung.uri()
              + ": no answer within 1 s (MLFLOW_HTTP_REQUEST_TIMEOUT) (tracking.required=true)",
          e.getMessage());
    }
  }

  @Test
  void theTimeoutComesFromMlflowsVariableAndABadValueIsOneLine() {
    assertEquals(MlflowRemote.DEFAULT_TIMEOUT, MlflowRemote.timeout(Map.of()));
    assertEquals(
        java.time.Duration.ofMillis(2500),
        MlflowRemote.timeout(Map.of("MLFLOW_HTTP_REQUEST_TIMEOUT", "2.5")));
    CxrException e =
        assertThrows(
            CxrException.class,
            () -> MlflowRemote.timeout(Map.of("MLFLOW_HTTP_REQUEST_TIMEOUT", "soon")));
    assertTrue(e.getMessage().startsWith("MLFLOW_HTTP_REQUEST_TIMEOUT='soon'"), e.getMessage());
  }
}
