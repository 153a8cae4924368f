package io.cxr.cli;

import io.cxr.core.Reporter;
import java.io.PrintWriter;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Reports to the terminal: lines on stdout, warnings on stderr, progress bars on stderr. */
public final class ConsoleReporter implements Reporter {
  /** Without a terminal (CI, Airflow logs): a line at every tenth of the work, no redraws. */
  private final class LogProgress implements Progress {
    private final String task;
    private long total;
    private long done;
    private long nextTenth = 1;
    private final long start = System.nanoTime();

    LogProgress(String task, long total) {
      this.task = task;
      this.total = total;
    }

    @Override
    public synchronized void step(long n) {
      done += n;
      while (total > 0 && nextTenth <= 10 && done * 10 >= total * nextTenth) {
        if (nextTenth < 10 && total >= 1000) {
          err.printf(Locale.ROOT, "%s: %d%% (%,d/%,d)%n", task, nextTenth * 10, done, total);
          err.flush();
        }
        nextTenth++;
      }
    }

    @Override
    public void total(long t) {
      total = t;
    }

    @Override
    public void close() {
      if (total >= 1000) {
        double secs = (System.nanoTime() - start) / 1e9;
        if (done >= total) {
          err.printf(Locale.ROOT, "%s: done, %,d in %.1f s%n", task, done, secs);
        } else { // closed early: an error stopped the work
          err.printf(
              Locale.ROOT, "%s: stopped after %,d of %,d in %.1f s%n", task, done, total, secs);
        }
        err.flush();
      }
    }
  }

  private final PrintWriter out;
  private final PrintWriter err;
  private final boolean quiet;

  public ConsoleReporter(PrintWriter out, PrintWriter err, boolean quiet) {
    this.out = out;
    this.err = err;
    this.quiet = quiet;
  }

  @Override
  public void info(String message) {
    if (!quiet) {
      out.println(message);
      out.flush();
    }
  }

  @Override
  public void warn(String message) {
    err.println("cxr: warning: " + message);
    err.flush();
  }

  @Override
  public Progress progress(String task, long total) {
    if (quiet) {
      return Progress.NONE;
    }
    out.flush();
    if (System.console() == null) {
      return new LogProgress(task, total);
    }
    ProgressBar bar =
        new ProgressBarBuilder()
            .setTaskName(task)
            .setInitialMax(total)
            .setStyle(ProgressBarStyle.ASCII)
            .setUpdateIntervalMillis(500)
            .continuousUpdate()
            .setConsumer(new ConsoleProgressBarConsumer(System.err, 100))
            .build();
    return new Progress() {
      @Override
      public void step(long n) {
        bar.stepBy(n);
      }

      @Override
      public void total(long t) {
        bar.maxHint(t);
      }

      @Override
      public void close() {
        bar.close();
      }
    };
  }
}
