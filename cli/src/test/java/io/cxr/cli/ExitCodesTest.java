package io.cxr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cxr.core.CxrException;
import io.cxr.core.train.TrainingCollapsed;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The documented exit codes come from what a command throws: bad input 2 with one error line, a
 * collapsed training 4, a bug 3 with the stack trace (for the bug report); commands under test
 * throw each kind through cxr's real command line.
 */
class ExitCodesTest {
  @Command(name = "throws")
  static final class Throws implements Callable<Integer> {
    final Supplier<RuntimeException> what;

    Throws(Supplier<RuntimeException> what) {
      this.what = what;
    }

    @Override
    public Integer call() {
      throw what.get();
    }
  }

  private record Run(int code, String err) {}

  private static Run run(Supplier<RuntimeException> what) {
    CommandLine cl = Main.commandLine();
    cl.addSubcommand("throws", new Throws(what));
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err, true));
    return new Run(cl.execute("throws"), err.toString());
  }

  @Test
  void aBugExitsThreeWithItsStackTrace() {
    Run r = run(() -> new IllegalStateException("a bug"));
    assertEquals(Main.INTERNAL, r.code());
    assertEquals(3, r.code());
    assertTrue(
        r.err().startsWith("cxr: internal error: java.lang.IllegalStateException: a bug"), r.err());
    assertTrue(r.err().contains("at io.cxr.cli.ExitCodesTest"), "the trace, for the bug report");
  }

  @Test
  void badInputExitsTwoWithOneLine() {
    Run r = run(() -> new CxrException("config key 'x': expected y"));
    assertEquals(2, r.code());
    assertEquals("cxr: error: config key 'x': expected y", r.err().strip());
    Run io =
        run(() -> new UncheckedIOException(new java.io.IOException("No space left on device")));
    assertEquals(2, io.code());
    assertEquals(1, io.err().strip().lines().count(), io.err());
  }

  @Test
  void aCollapsedTrainingExitsFour() {
    Run r = run(() -> new TrainingCollapsed("validation AUC 0.5 for 2 epochs"));
    assertEquals(4, r.code());
    assertTrue(r.err().startsWith("cxr: error: validation AUC 0.5"), r.err());
  }

  @Test
  void anUnknownOptionExitsTwoWithAHint() {
    CommandLine cl = Main.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err, true));
    assertEquals(2, cl.execute("train", "--no-such-option"));
    assertTrue(err.toString().contains("try 'cxr train --help'"), err.toString());
  }
}
