package io.cxr.core.hpo;

import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.config.CxrConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.deeplearning4j.arbiter.optimize.api.Candidate;
import org.deeplearning4j.arbiter.optimize.api.CandidateGenerator;
import org.deeplearning4j.arbiter.optimize.api.OptimizationResult;

/**
 * The search loop: candidates come from the generator in order (seeded, deterministic); up to
 * {@code hpo.parallel} trials train at once; each result goes back to the generator; the loop ends
 * after {@code hpo.trials} trials, when the generator runs dry, or after {@code hpo.max_minutes}.
 */
public final class TrialLoop {
  private TrialLoop() {}

  /** Runs the trials and returns them in trial order. */
  public static List<Trial> run(
      CxrConfig.Hpo hpo, CandidateGenerator gen, TrialRunner runner, Reporter reporter) {
    return run(hpo, gen, runner, reporter, Map.of(), t -> {});
  }

  /** Daemon threads named cxr-trial, one per parallel trial. */
  private static ExecutorService pool(int threads) {
    return Executors.newFixedThreadPool(
        threads,
        r -> {
          Thread th = new Thread(r, "cxr-trial");
          th.setDaemon(true);
          return th;
        });
  }

  /**
   * Runs the trials, taking those in {@code journal} (a killed search's finished trials, by number)
   * from it instead of training them again: the seeded generator proposes the same candidates in
   * the same order, and each journal result goes back to it as before. {@code finished} sees every
   * newly finished trial, in the order they finish.
   */
  public static List<Trial> run(
      CxrConfig.Hpo hpo,
      CandidateGenerator gen,
      TrialRunner runner,
      Reporter reporter,
      Map<Integer, SearchJournal.Entry> journal,
      Consumer<Trial> finished) {
    long t0 = System.nanoTime();
    long deadline = hpo.maxMinutes() > 0 ? t0 + (long) (hpo.maxMinutes() * 60e9) : Long.MAX_VALUE;
    ExecutorService pool = pool(hpo.parallel());
    CompletionService<Trial> done = new ExecutorCompletionService<>(pool);
    Map<Integer, Candidate<?>> inFlight = new LinkedHashMap<>();
    List<Trial> trials = new ArrayList<>();
    int started = 0;
    boolean timeUp = false;
    try {
      while (true) {
        while (inFlight.size() < hpo.parallel()
            && started < hpo.trials()
            && !timeUp
            && gen.hasMoreCandidates()) {
          if (System.nanoTime() > deadline) {
            reporter.info("hpo.max_minutes reached: no further trials");
            timeUp = true;
            break;
          }
          Candidate<?> c = gen.getCandidate();
          @SuppressWarnings("unchecked")
          Map<String, Object> sample = (Map<String, Object>) c.getValue();
          int number = ++started;
          SearchJournal.Entry before = journal.get(number);
          if (before != null) {
            Trial t = runner.replayed(number, sample, before);
            trials.add(t);
            gen.reportResults(new OptimizationResult(c, t.score(), c.getIndex(), null, null, null));
            report(hpo, t, reporter, " (journal)");
            continue;
          }
          inFlight.put(number, c);
          done.submit(() -> runner.run(number, sample));
        }
        if (inFlight.isEmpty()) {
          break;
        }
        Trial t = done.take().get();
        Candidate<?> c = inFlight.remove(t.number());
        trials.add(t);
        gen.reportResults(new OptimizationResult(c, t.score(), c.getIndex(), null, null, null));
        finished.accept(t);
        report(hpo, t, reporter, "");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CxrException("search interrupted");
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException re
          ? re
          : new IllegalStateException(e.getCause());
    } finally {
      pool.shutdownNow();
    }
    trials.sort(Comparator.comparingInt(Trial::number));
    return trials;
  }

  private static void report(CxrConfig.Hpo hpo, Trial t, Reporter reporter, String from) {
    reporter.info(
        String.format(
            Locale.ROOT,
            "trial %2d/%d  %-8s %s %.4f  epochs %2d  %5.1fs  %s%s",
            t.number(),
            hpo.trials(),
            t.state(),
            hpo.objective().metric(),
            t.score(),
            t.epochs(),
            t.seconds(),
            TrialReports.describe(t.params()),
            from));
  }
}
