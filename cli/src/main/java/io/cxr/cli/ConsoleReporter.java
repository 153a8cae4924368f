package io.cxr.cli;

import io.cxr.core.Reporter;
import java.io.PrintWriter;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Reports to the terminal: lines on stdout, warnings on stderr, progress bars on stderr. */
public final class ConsoleReporter implements Reporter {
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
    ProgressBar bar = new ProgressBarBuilder()
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
