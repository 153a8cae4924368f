package io.cxr.cli;

import io.cxr.core.config.ConfigLoader;
import io.cxr.core.config.CxrConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --config} and {@code key=value} overrides, shared by every command. */
public final class ConfigOptions {
  /** Where a command looks for the config when --config is not given. */
  public static final Path DEFAULT_FILE = Path.of("conf", "config.yaml");

  @Option(
      names = {"-c", "--config"},
      paramLabel = "<yaml>",
      description = "config file (default: conf/config.yaml if present, else built-in defaults)")
  Path config;

  /** Resolves the config with the given overrides (already split from positional args). */
  public CxrConfig resolve(List<String> overrides, List<String> extra) {
    List<String> all = new ArrayList<>(overrides);
    all.addAll(extra);
    return ConfigLoader.load(file(), all);
  }

  /** The config file in use: --config, else conf/config.yaml if present, else none. */
  public Path file() {
    return config != null ? config : Files.isRegularFile(DEFAULT_FILE) ? DEFAULT_FILE : null;
  }

  /** Whether a positional argument is a {@code section.key=value} override. */
  public static boolean isOverride(String arg) {
    return arg.matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*=.*");
  }
}
