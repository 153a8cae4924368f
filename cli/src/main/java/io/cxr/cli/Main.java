package io.cxr.cli;

import io.cxr.core.CxrException;
import io.cxr.core.model.CudaCheck;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code cxr} command. */
@Command(
    name = "cxr",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description =
        "Train, evaluate and ship pediatric chest X-ray classifiers (NORMAL vs PNEUMONIA).",
    subcommands = {
      DownloadCommand.class,
      PrepareCommand.class,
      TrainCommand.class,
      EvaluateCommand.class,
      PredictCommand.class,
      ReportCommand.class,
      RegisterCommand.class,
      OptimizeCommand.class,
      RunsCommand.class,
      ServeCommand.class,
      CommandLine.HelpCommand.class
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:success",
      "1:quality gate failed (evaluate)",
      "2:bad input: a file, config key or value (one-line message on stderr)",
      "3:internal error",
      "4:training collapsed or diverged, or `train --check` failed (no model written)",
      "5:predict: some images could not be read (each named on stderr; the rest predicted)"
    })
public final class Main implements Runnable {
  public static final int GATE_FAILED = 1;
  public static final int BAD_INPUT = 2;
  public static final int INTERNAL = 3;
  public static final int COLLAPSED = 4;
  public static final int PARTIAL = 5;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
  }

  public static void main(String[] args) {
    Integer relaunched = Utf8Relaunch.ifNeeded(args); // LC_ALL=C: restart with UTF-8 names
    if (relaunched != null) {
      System.exit(relaunched);
    }
    System.setProperty("java.awt.headless", "true");
    Utf8Relaunch.watchParent();
    System.exit(execute(Utf8Relaunch.arguments(args)));
  }

  /** Runs a command line and returns its exit code (for tests). */
  public static int execute(String... args) {
    String cuda = cudaProblem(args);
    if (cuda != null) {
      System.err.println("cxr: error: " + cuda);
      return BAD_INPUT;
    }
    try {
      CommandLine cl = commandLine();
      try {
        return cl.execute(args);
      } finally {
        // output that does not end in a newline (predict --format json) must not be lost at exit
        cl.getOut().flush();
        cl.getErr().flush();
      }
    } catch (Error e) {
      // picocli hands on Errors; a backend that cannot load is the one worth a clear line
      String backend = io.cxr.core.model.CudaCheck.explain(e);
      if (backend == null) {
        throw e;
      }
      System.err.println("cxr: error: " + backend);
      return BAD_INPUT;
    }
  }

  /** Commands that start ND4J: refused up front when the CUDA build cannot run here. */
  static final Set<String> BACKEND_COMMANDS = Set.of("train", "evaluate", "predict", "optimize");

  static String backendProblem(Throwable ex) {
    return CudaCheck.explain(ex);
  }

  /** The CUDA build's one-line reason to stop before ND4J starts (and prints its own traces). */
  static String cudaProblem(String... args) {
    boolean help =
        Arrays.stream(args).anyMatch(a -> a.equals("-h") || a.equals("--help") || a.equals("-V"));
    if (args.length == 0 || help || !BACKEND_COMMANDS.contains(args[0])) {
      return null;
    }
    return CudaCheck.problem();
  }

  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.setExitCodeExceptionMapper(
        t ->
            t instanceof io.cxr.core.train.TrainingCollapsed
                ? COLLAPSED
                : t instanceof CxrException ? BAD_INPUT : INTERNAL);
    cl.setExecutionExceptionHandler(
        (ex, cmd, parse) -> {
          PrintWriter err = cmd.getErr();
          if (ex instanceof io.cxr.core.train.TrainingCollapsed) {
            err.println("cxr: error: " + ex.getMessage());
            return COLLAPSED;
          }
          if (ex instanceof CxrException) {
            err.println("cxr: error: " + ex.getMessage());
            return BAD_INPUT;
          }
          if (ex instanceof UncheckedIOException || ex instanceof IOException) {
            err.println("cxr: error: " + ex.getMessage());
            return BAD_INPUT;
          }
          String backend = io.cxr.core.model.CudaCheck.explain(ex);
          if (backend != null) {
            err.println("cxr: error: " + backend);
            return BAD_INPUT;
          }
          err.println("cxr: internal error: " + ex);
          ex.printStackTrace(err);
          return INTERNAL;
        });
    cl.setParameterExceptionHandler(
        (ex, args) -> {
          PrintWriter err = ex.getCommandLine().getErr();
          err.println("cxr: error: " + ex.getMessage());
          err.println("try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'");
          return BAD_INPUT;
        });
    return cl;
  }
}
