package io.cxr.core.data;

import io.cxr.core.CxrException;
import io.cxr.core.io.Hashing;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;

/**
 * The decode pipeline of prepare over all splits in writing order: one chunk of {@value #CHUNK}
 * images is always submitted ahead of the one being written, across split boundaries too, so the
 * pool never waits for the writer to start the next split. Two buffers alternate: chunk n+1 fills
 * the buffer of chunk n-1, which the writer has finished by the time it takes chunk n.
 */
public final class DecodeFeed implements AutoCloseable {
  static final int CHUNK = 128;
  private static final Map<Integer, ExecutorService> POOLS = new ConcurrentHashMap<>();

  private final DataSource src;
  private final int size;
  private final ExecutorService pool;
  private final List<Split> order;
  private final Map<Split, List<Sample>> bySplit;
  private final byte[][] buffers;
  private int count;
  private int splitIndex;
  private int from;
  private Chunk ahead;

  /**
   * Starts decoding.
   *
   * @param workers decoding threads: the writing thread and a pool of the others; with one, all
   *     decoding happens on the writing thread with no hand-off
   */
  public DecodeFeed(
      DataSource src, int size, int workers, List<Split> order, Map<Split, List<Sample>> bySplit) {
    this.src = src;
    this.size = size;
    this.pool = workers == 1 ? null : pool(workers - 1);
    this.order = order;
    this.bySplit = bySplit;
    this.buffers =
        new byte[][] {new byte[CHUNK * size * size * 4], new byte[CHUNK * size * size * 4]};
    this.ahead = submitNext();
  }

  /** Daemon decode threads, kept for the JVM's life (their decoders and buffers with them). */
  private static ExecutorService pool(int threads) {
    return POOLS.computeIfAbsent(
        threads,
        n ->
            Executors.newFixedThreadPool(
                n,
                r -> {
                  Thread t = new Thread(r, "cxr-decode");
                  t.setDaemon(true);
                  return t;
                }));
  }

  private Chunk submitNext() {
    while (splitIndex < order.size() && from >= bySplit.get(order.get(splitIndex)).size()) {
      splitIndex++;
      from = 0;
    }
    if (splitIndex >= order.size()) {
      return null;
    }
    Split s = order.get(splitIndex);
    Chunk c = Chunk.submit(src, s, bySplit.get(s), from, size, pool, buffers[count++ & 1]);
    from += c.samples.size();
    return c;
  }

  /** The next chunk of {@code split}, or null when it has none left. */
  Chunk take(Split split) {
    if (ahead == null || ahead.split != split) {
      return null;
    }
    Chunk c = ahead;
    ahead = submitNext();
    return c;
  }

  /** Stops work not yet started (after a failure); the pool's threads stay for the next run. */
  @Override
  public void close() {
    if (ahead != null) {
      ahead.futures.forEach(f -> f.cancel(false));
    }
  }

  /**
   * A run of samples decoded into one buffer of little-endian float32 (the .npy layout). Each task
   * decodes, summarises, converts and hashes its image, so the writing thread only checks, hashes
   * the file and writes. Without a pool (one worker) the tasks run on the writing thread.
   */
  static final class Chunk {
    private static final ThreadLocal<MessageDigest> SHA256 =
        ThreadLocal.withInitial(() -> Hashing.digest("SHA-256"));
    private static final ThreadLocal<float[]> PIXELS = new ThreadLocal<>();

    final Split split;
    final List<Sample> samples;
    final byte[] le;
    final SplitStats.Image[] stats;
    final List<FutureTask<String>> futures;
    int back; // the writing thread decodes from here downwards while it would otherwise wait

    private Chunk(Split split, List<Sample> samples, byte[] buffer) {
      this.split = split;
      this.samples = samples;
      this.le = buffer;
      this.stats = new SplitStats.Image[samples.size()];
      this.futures = new ArrayList<>(samples.size());
      this.back = samples.size();
    }

    /** Submits the chunk starting at {@code from}; {@code buffer} holds CHUNK images. */
    static Chunk submit(
        DataSource src,
        Split split,
        List<Sample> all,
        int from,
        int size,
        ExecutorService pool,
        byte[] buffer) {
      Chunk c = new Chunk(split, all.subList(from, Math.min(all.size(), from + CHUNK)), buffer);
      for (int i = 0; i < c.samples.size(); i++) {
        int k = i;
        FutureTask<String> task = new FutureTask<>(() -> c.load(src, k, size));
        c.futures.add(task);
        if (pool != null) {
          pool.execute(task); // else the writing thread runs it when it gets there
        }
      }
      return c;
    }

    /**
     * Sample i's pixel hash, decoding it on this thread unless a pool thread has it; while a pool
     * thread finishes it, this thread decodes from the far end of the chunk rather than wait.
     */
    String await(int i) {
      FutureTask<String> task = futures.get(i);
      task.run(); // a no-op when a pool thread has taken it
      while (!task.isDone() && back > i + 1) {
        futures.get(--back).run();
      }
      return get(task);
    }

    /** Decodes sample k, returns the SHA-256 of its little-endian float32 pixels. */
    private String load(DataSource src, int k, int size) {
      int px = size * size;
      float[] img = PIXELS.get();
      if (img == null || img.length != px) {
        img = new float[px];
        PIXELS.set(img);
      }
      src.load(samples.get(k), size, img, 0);
      stats[k] = SplitStats.Image.of(img, 0, px);
      ByteBuffer.wrap(le, k * px * 4, px * 4)
          .order(ByteOrder.LITTLE_ENDIAN)
          .asFloatBuffer()
          .put(img, 0, px);
      MessageDigest md = SHA256.get();
      md.update(le, k * px * 4, px * 4);
      return HexFormat.of().formatHex(md.digest());
    }

    private static String get(Future<String> f) {
      try {
        return f.get();
      } catch (ExecutionException e) {
        if (e.getCause() instanceof RuntimeException re) {
          throw re;
        }
        throw new IllegalStateException(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CxrException("interrupted");
      }
    }
  }
}
