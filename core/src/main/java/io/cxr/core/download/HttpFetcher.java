package io.cxr.core.download;

import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.io.Hashing;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Streams HTTP downloads to disk: into {@code <file>.part}, resumed with a Range request after an
 * interruption, retried, checked, and only then renamed to its final name, so a half download never
 * passes for a complete one. Redirects are followed by hand, and credentials are sent only to the
 * host they were meant for.
 */
public final class HttpFetcher {
  private static final int MAX_REDIRECTS = 5;
  private static final ScheduledExecutorService WATCHDOG =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "cxr-download-watchdog");
            t.setDaemon(true);
            return t;
          });
  private final HttpClient client;
  private final Duration timeout;
  private final int retries;

  public HttpFetcher(int timeoutSeconds, int retries) {
    this.timeout = Duration.ofSeconds(timeoutSeconds);
    this.retries = retries;
    this.client =
        HttpClient.newBuilder()
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  /** Checks a complete .part file before it is renamed; throws CxrException when it is bad. */
  @FunctionalInterface
  public interface Verifier {
    void verify(Path part);
  }

  /** A GET returning the body as a string (for small API answers). */
  public String getString(URI uri, Map<String, String> headers) {
    try {
      HttpResponse<String> r = send(uri, headers, -1, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw httpError(uri, r.statusCode());
      }
      return r.body();
    } catch (IOException e) {
      throw new CxrException("download " + safe(uri) + ": " + describe(e));
    }
  }

  /**
   * Downloads {@code uri} to {@code target}.
   *
   * @param verifier checks the complete file (checksum, archive integrity) before the rename
   */
  public Path download(
      URI uri, Map<String, String> headers, Path target, Verifier verifier, Reporter reporter) {
    Path part = target.resolveSibling(target.getFileName() + ".part");
    IOException last = null;
    for (int attempt = 0; attempt <= retries; attempt++) {
      try {
        Files.createDirectories(target.toAbsolutePath().getParent());
        fetch(uri, headers, part, reporter, target.getFileName().toString());
        try {
          verifier.verify(part);
        } catch (CxrException e) {
          Files.deleteIfExists(part); // a bad complete file must not be resumed
          throw e;
        }
        Files.move(
            part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return target;
      } catch (IOException e) {
        last = e;
        if (attempt < retries) {
          reporter.warn(
              "download of "
                  + target.getFileName()
                  + " interrupted ("
                  + describe(e)
                  + "); retrying ("
                  + (attempt + 1)
                  + "/"
                  + retries
                  + ")");
          sleep(500L << Math.min(attempt, 4));
        }
      }
    }
    throw new CxrException(
        "download "
            + safe(uri)
            + ": failed after "
            + (retries + 1)
            + " attempts ("
            + describe(last)
            + "); the partial file "
            + part
            + " is kept and resumed next time");
  }

  private void fetch(
      URI uri, Map<String, String> headers, Path part, Reporter reporter, String name)
      throws IOException {
    long have = Files.exists(part) ? Files.size(part) : 0;
    HttpResponse<InputStream> r =
        send(uri, headers, have > 0 ? have : -1, HttpResponse.BodyHandlers.ofInputStream());
    int code = r.statusCode();
    boolean append;
    if (code == 206 && have > 0) {
      append = true;
    } else if (code == 200) {
      append = false; // the server ignored the range: start over
      have = 0;
    } else if (code == 416 && have > 0) {
      r.body().close();
      return; // the part is already complete
    } else {
      r.body().close();
      throw httpError(uri, code);
    }
    OptionalLong len = r.headers().firstValueAsLong("Content-Length");
    long total = len.isPresent() ? have + len.getAsLong() : -1;
    InputStream in = r.body();
    // the request timeout ends at the headers: a stalled body is cut by this watchdog
    AtomicLong lastProgress = new AtomicLong(System.nanoTime());
    AtomicBoolean stalled = new AtomicBoolean();
    ScheduledFuture<?> watchdog = watchdog(in, lastProgress, stalled);
    long got = have;
    try (Reporter.Progress bar = reporter.progress(name, Math.max(total, 0));
        in;
        OutputStream out =
            Files.newOutputStream(
                part,
                StandardOpenOption.CREATE,
                append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
      bar.step(have);
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) {
        out.write(buf, 0, n);
        got += n;
        lastProgress.set(System.nanoTime());
        bar.step(n);
      }
    } catch (IOException e) {
      if (stalled.get()) {
        throw new IOException("no data for " + timeout.toSeconds() + " s after " + got + " bytes");
      }
      throw e;
    } finally {
      watchdog.cancel(false);
    }
    if (stalled.get() || (total >= 0 && got < total)) {
      throw new IOException("connection closed after " + got + " of " + total + " bytes");
    }
  }

  /**
   * Closes {@code in} (and sets {@code stalled}) when no byte has arrived for the timeout: the
   * request timeout ends at the headers, so a stalled body is cut by this watchdog.
   */
  private ScheduledFuture<?> watchdog(
      InputStream in, AtomicLong lastProgress, AtomicBoolean stalled) {
    return WATCHDOG.scheduleAtFixedRate(
        () -> {
          if (System.nanoTime() - lastProgress.get() > timeout.toNanos()) {
            stalled.set(true);
            try {
              in.close();
            } catch (IOException ignored) {
              // closing is all we can do
            }
          }
        },
        200,
        200,
        TimeUnit.MILLISECONDS);
  }

  private <T> HttpResponse<T> send(
      URI uri, Map<String, String> headers, long rangeFrom, HttpResponse.BodyHandler<T> handler)
      throws IOException {
    URI current = uri;
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(current).timeout(timeout).GET().header("User-Agent", "cxr");
      boolean sameHost = sameOrigin(uri, current);
      headers.forEach(
          (k, v) -> {
            if (sameHost || !k.equalsIgnoreCase("Authorization")) {
              b.header(k, v);
            }
          });
      if (rangeFrom > 0) {
        b.header("Range", "bytes=" + rangeFrom + "-");
      }
      HttpResponse<T> r;
      try {
        r = client.send(b.build(), handler);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted");
      }
      int code = r.statusCode();
      if (code == 301 || code == 302 || code == 303 || code == 307 || code == 308) {
        String loc =
            r.headers()
                .firstValue("Location")
                .orElseThrow(() -> new IOException("redirect without Location from " + safe(uri)));
        if (r.body() instanceof InputStream in) {
          in.close();
        }
        current = current.resolve(loc);
        continue;
      }
      return r;
    }
    throw new IOException("too many redirects from " + safe(uri));
  }

  private static boolean sameOrigin(URI a, URI b) {
    return a.getHost() != null
        && a.getHost().equalsIgnoreCase(b.getHost())
        && a.getPort() == b.getPort()
        && a.getScheme().equalsIgnoreCase(b.getScheme());
  }

  private static CxrException httpError(URI uri, int code) {
    String why =
        switch (code) {
          case 401, 403 -> " (credentials refused or missing)";
          case 404 -> " (not found)";
          case 429 -> " (rate limited; try later)";
          default -> "";
        };
    return new CxrException("download " + safe(uri) + ": HTTP " + code + why);
  }

  /** The URI without query or user info (signed URLs carry tokens in the query). */
  static String safe(URI uri) {
    return uri.getScheme()
        + "://"
        + uri.getHost()
        + (uri.getPort() > 0 ? ":" + uri.getPort() : "")
        + uri.getPath();
  }

  private static String describe(Exception e) {
    if (e == null) {
      return "unknown error";
    }
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A verifier comparing the file's MD5 with {@code expected}. */
  public static Verifier md5(String expected) {
    return part -> {
      String got = Hashing.file(part, "MD5");
      if (!got.equalsIgnoreCase(expected)) {
        throw new CxrException(
            "download "
                + part.getFileName()
                + ": MD5 "
                + got
                + " does not match the expected "
                + expected
                + " (file discarded)");
      }
    };
  }
}
