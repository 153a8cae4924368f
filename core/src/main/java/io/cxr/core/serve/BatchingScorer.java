package io.cxr.core.serve;

import io.cxr.core.CxrException;
import io.cxr.core.data.ImageDecoder;
import io.cxr.core.model.ModelBundle;
import io.cxr.core.model.Saliency;
import io.cxr.core.model.Scorer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;
import java.util.function.IntSupplier;

/**
 * Scores the images of concurrent requests together: one worker takes the oldest waiting request
 * and adds the ones behind it until a batch holds {@code maxBatch} images or {@code maxWait} has
 * passed, decodes them (each image with the model's own decoder, crop and size, as {@code cxr
 * predict} does) and scores them in one forward pass; a batch is several times cheaper per image
 * than one image at a time. The queue is bounded: a request that finds it full is refused at once
 * ({@link Overloaded}) instead of waiting without end. An image that cannot be decoded gets its own
 * error; the others in its request and batch get their predictions.
 *
 * <p>The model can be replaced while serving ({@link #swap}): a request is scored by the model that
 * was current when it was queued, and a batch never mixes two models, so requests in flight finish
 * on the old model and none fails because of a swap.
 */
public final class BatchingScorer implements AutoCloseable {
  /** One image of a request: a name for messages and its encoded bytes (JPEG or PNG). */
  public record Image(String name, byte[] bytes) {}

  /**
   * One image's answer: label at the model's threshold and calibrated P(PNEUMONIA), or error; when
   * an explanation was asked for, the image as the model saw it and its saliency map.
   */
  public record Result(
      String label,
      double probability,
      double threshold,
      String error,
      float[] pixels,
      Saliency.Map explanation) {
    public Result(String label, double probability, double threshold, String error) {
      this(label, probability, threshold, error, null, null);
    }

    static Result failed(String error) {
      return new Result(null, Double.NaN, Double.NaN, error);
    }

    public boolean failed() {
      return error != null;
    }
  }

  /** A request's answer: which model scored it, and one result per image in order. */
  public record Answer(ServedModel model, List<Result> results) {}

  /** No model has been loaded yet (HTTP 503). */
  public static final class NoModel extends RuntimeException {
    public NoModel() {
      super("no model loaded yet");
    }
  }

  /** The queue is full: the caller should come back later (HTTP 503 with Retry-After). */
  public static final class Overloaded extends RuntimeException {
    Overloaded(int capacity) {
      super("server busy: " + capacity + " requests are waiting; retry shortly");
    }
  }

  private record Pending(
      ServedModel model, List<Image> images, String explain, CompletableFuture<Answer> done) {}

  private final AtomicReference<ServedModel> current;
  private final int maxBatch;
  private final long maxWaitNanos;
  private final int capacity;
  private final BlockingQueue<Pending> queue;
  private final Thread worker;
  private final AtomicBoolean open = new AtomicBoolean(true);
  private final IntConsumer batchSizes;
  private final IntSupplier arriving;

  /**
   * A lone client is not made to wait: a request that finds nobody queued, nobody arriving, and
   * that the previous batch also held one request only, is scored at once; once batches hold
   * several requests (concurrent clients), each waits up to {@code maxWait} for the others, since
   * between two batches concurrent clients' next requests are often still on the wire.
   *
   * @param model the model to serve, or null until {@link #swap} gives one
   * @param maxBatch images per forward pass at most
   * @param maxWait how long the oldest request waits for others to join its batch
   * @param capacity requests waiting at most (beyond: {@link Overloaded})
   * @param batchSizes told the size of every batch scored (for metrics)
   * @param arriving how many requests have been received but not yet submitted (bodies being read)
   */
  public BatchingScorer(
      ServedModel model,
      int maxBatch,
      Duration maxWait,
      int capacity,
      IntConsumer batchSizes,
      IntSupplier arriving) {
    if (maxBatch < 1 || capacity < 1) {
      throw new IllegalArgumentException("maxBatch and capacity must be at least 1");
    }
    this.current = new AtomicReference<>(model);
    this.maxBatch = maxBatch;
    this.maxWaitNanos = maxWait.toNanos();
    this.capacity = capacity;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.batchSizes = batchSizes;
    this.arriving = arriving;
    this.worker = new Thread(this::work, "cxr-serve-batcher");
    worker.setDaemon(true);
    worker.start();
  }

  /** The model new requests go to, or null before the first one. */
  public ServedModel model() {
    return current.get();
  }

  /**
   * Sends new requests to {@code model}; those queued before are still scored by the one they were
   * queued for.
   *
   * @return the model replaced (null if none)
   */
  public ServedModel swap(ServedModel model) {
    return current.getAndSet(java.util.Objects.requireNonNull(model));
  }

  /**
   * Queues a request's images; the future completes with the model that scored them and one result
   * per image, in order.
   *
   * @throws NoModel before a model is loaded
   * @throws Overloaded when the queue is full or the scorer is closing
   */
  public CompletableFuture<Answer> submit(List<Image> images) {
    return submit(images, null);
  }

  /**
   * As {@link #submit(List)}, each decodable image also explained with {@code explain} ({@code
   * grad-cam} or {@code occlusion}; null: none), by the worker after the batch is scored (a network
   * is used by one thread at a time).
   *
   * @throws io.cxr.core.CxrException when the method is unknown or the model cannot use it
   */
  public CompletableFuture<Answer> submit(List<Image> images, String explain) {
    if (!open.get()) {
      throw new Overloaded(0);
    }
    ServedModel model = current.get();
    if (model == null) {
      throw new NoModel();
    }
    if (explain != null) {
      Saliency.requireMethod(model.bundle(), explain);
    }
    CompletableFuture<Answer> done = new CompletableFuture<>();
    if (images.isEmpty()) {
      done.complete(new Answer(model, List.of()));
      return done;
    }
    if (!queue.offer(new Pending(model, List.copyOf(images), explain, done))) {
      throw new Overloaded(capacity);
    }
    return done;
  }

  /** Requests waiting now (for metrics). */
  public int waiting() {
    return queue.size();
  }

  private void work() {
    Pending carried = null; // taken from the queue but not fitting the last batch: starts the next
    int lastRequests = 0; // requests in the previous batch: more than one means concurrent clients
    while (open.get() || !queue.isEmpty() || carried != null) {
      Pending first = carried;
      carried = null;
      try {
        if (first == null) {
          first = queue.poll(100, TimeUnit.MILLISECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      if (first == null) {
        continue;
      }
      List<Pending> batch = new ArrayList<>(List.of(first));
      int images = first.images().size();
      long deadline = System.nanoTime() + maxWaitNanos;
      while (images < maxBatch) {
        if (lastRequests <= 1 && queue.isEmpty() && arriving.getAsInt() <= 0) {
          break; // a lone client: waiting would only add latency
        }
        long left = deadline - System.nanoTime();
        Pending next;
        try {
          next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
        if (next == null) {
          break;
        }
        if (images + next.images().size() > maxBatch || next.model() != first.model()) {
          carried = next; // a batch never mixes two models, nor exceeds maxBatch
          break;
        }
        batch.add(next);
        images += next.images().size();
      }
      lastRequests = batch.size();
      score(batch, images);
    }
  }

  private void score(List<Pending> batch, int n) {
    ServedModel served = batch.get(0).model();
    ModelBundle model = served.bundle();
    try {
      List<Image> all = new ArrayList<>(n);
      batch.forEach(p -> all.addAll(p.images()));
      int size = model.card().imageSize();
      String[] errors = new String[n];
      float[] p =
          Scorer.decodeAndScore(
              model,
              n,
              (i, x, off) -> {
                Image im = all.get(i);
                try {
                  ImageDecoder.forThread(size, model.card().cropOrZero())
                      .decode(im.bytes(), im.bytes().length, im.name(), x, off);
                } catch (CxrException e) {
                  errors[i] = e.getMessage();
                } catch (RuntimeException e) {
                  errors[i] = "image " + im.name() + ": cannot decode (" + e + ")";
                }
              },
              io.cxr.core.Reporter.Progress.NONE);
      batchSizes.accept(n);
      double threshold = model.card().threshold();
      int at = 0;
      for (Pending req : batch) {
        List<Result> results = new ArrayList<>(req.images().size());
        for (int k = 0; k < req.images().size(); k++, at++) {
          if (errors[at] != null) {
            results.add(Result.failed(errors[at]));
          } else if (req.explain() != null) {
            results.add(explained(model, req.images().get(k), req.explain(), p[at], threshold));
          } else {
            results.add(new Result(model.card().label(p[at]).name(), p[at], threshold, null));
          }
        }
        req.done().complete(new Answer(req.model(), results));
      }
    } catch (RuntimeException | Error e) {
      // the network failed (not an image): every request of the batch learns it
      batch.forEach(req -> req.done().completeExceptionally(e));
    }
  }

  /** The image's prediction with its saliency map (on the worker: it owns the networks). */
  private static Result explained(
      ModelBundle model, Image im, String method, float p, double threshold) {
    String label = model.card().label(p).name();
    try {
      int size = model.card().imageSize();
      float[] x = new float[size * size];
      ImageDecoder.forThread(size, model.card().cropOrZero())
          .decode(im.bytes(), im.bytes().length, im.name(), x, 0);
      return new Result(label, p, threshold, null, x, Saliency.explain(model, x, method));
    } catch (RuntimeException e) {
      return Result.failed("image " + im.name() + ": cannot explain (" + e.getMessage() + ")");
    }
  }

  /** Stops taking requests, scores the ones queued, then ends the worker. */
  @Override
  public void close() {
    open.set(false);
    try {
      worker.join(TimeUnit.MINUTES.toMillis(1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
