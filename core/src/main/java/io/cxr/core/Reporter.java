package io.cxr.core;

/** How core code tells the user what it is doing, without printing anything itself. */
public interface Reporter {
  /** A line of information (a summary, a decision). */
  void info(String message);

  /** Something the user should look at that does not stop the work. */
  void warn(String message);

  /** Starts a unit of long work with a known number of steps; close it when done. */
  Progress progress(String task, long total);

  /** A reporter that discards everything, for tests and library use. */
  Reporter SILENT =
      new Reporter() {
        @Override
        public void info(String message) {}

        @Override
        public void warn(String message) {}

        @Override
        public Progress progress(String task, long total) {
          return Progress.NONE;
        }
      };

  /** Progress of one long task. */
  interface Progress extends AutoCloseable {
    void step(long n);

    default void step() {
      step(1);
    }

    /** Updates the total when it becomes known (e.g. after an HTTP response header). */
    default void total(long total) {}

    @Override
    void close();

    Progress NONE =
        new Progress() {
          @Override
          public void step(long n) {}

          @Override
          public void close() {}
        };
  }
}
