package io.cxr.cli;

import io.cxr.core.CxrException;
import java.io.PrintWriter;
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
      RegisterCommand.class,
      OptimizeCommand.class,
      RunsCommand.class,
      CommandLine.HelpCommand.class
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:success",
      "1:quality gate failed (evaluate)",
      "2:bad input: a file, config key or value (one-line message on stderr)",
      "3:internal error"
    })
public final class Main implements Runnable {
  public static final int GATE_FAILED = 1;
  public static final int BAD_INPUT = 2;
  public static final int INTERNAL = 3;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
  }

  public static void main(String[] args) {
    System.setProperty("java.awt.headless", "true");
    System.exit(execute(args));
  }

  /** Runs a command line and returns its exit code (for tests). */
  public static int execute(String... args) {
    try {
      return commandLine().execute(args);
    } catch (Error e) {
      // picocli hands on Errors; a backend that cannot load is the one worth a clear line
      String backend = backendProblem(e);
      if (backend == null) {
        throw e;
      }
      System.err.println("cxr: error: " + backend);
      return BAD_INPUT;
    }
  }

  /**
   * A one-line explanation when the ND4J backend cannot start (the CUDA build on a machine without
   * CUDA 11.6 / cuDNN 8 libraries or with an unsupported GPU), else null.
   */
  static String backendProblem(Throwable ex) {
    for (Throwable t = ex; t != null; t = t.getCause()) {
      String m = String.valueOf(t.getMessage());
      boolean link =
          t instanceof LinkageError
              && (m.contains("nd4j")
                  || m.contains("cuda")
                  || m.contains("cudnn")
                  || m.contains("cublas")
                  || m.contains("cusolver")
                  || m.contains("jnind4j"));
      boolean noBackend =
          t.getClass().getName().contains("NoAvailableBackendException")
              || m.contains("NoAvailableBackendException")
              || m.contains("Could not initialize class org.nd4j");
      boolean noKernel = m.contains("no kernel image is available");
      if (link || noBackend || noKernel) {
        return "the ND4J backend cannot start ("
            + m.lines().findFirst().orElse(t.getClass().getSimpleName())
            + "). The CUDA build (-Pcuda) needs the CUDA 11.6 runtime and cuDNN 8 libraries "
            + "(libcudart.so.11.0, libcublas.so.11, libcusolver.so.11, libcudnn*.so.8) and a "
            + "Pascal to Ada GPU (sm_60 to sm_86; Hopper/sm_90 has no kernels); the default "
            + "build runs on the CPU";
      }
    }
    return null;
  }

  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.setExitCodeExceptionMapper(t -> t instanceof CxrException ? BAD_INPUT : INTERNAL);
    cl.setExecutionExceptionHandler(
        (ex, cmd, parse) -> {
          PrintWriter err = cmd.getErr();
          if (ex instanceof CxrException) {
            err.println("cxr: error: " + ex.getMessage());
            return BAD_INPUT;
          }
          if (ex instanceof java.io.UncheckedIOException || ex instanceof java.io.IOException) {
            err.println("cxr: error: " + ex.getMessage());
            return BAD_INPUT;
          }
          String backend = backendProblem(ex);
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
