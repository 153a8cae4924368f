package io.cxr.cli;

import picocli.CommandLine.Option;

/** The {@code --model} option of the commands that use a trained model. */
final class ModelOption {
  @Option(
      names = "--model",
      paramLabel = "<zip|models:/name@alias>",
      description =
          "model file or registry reference such as models:/cxr-pneumonia@champion "
              + "(default: <paths.models>/model.zip)")
  String ref;
}
