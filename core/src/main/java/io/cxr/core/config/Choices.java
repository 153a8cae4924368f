package io.cxr.core.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The YAML names of the config's choices: each choice is an enum whose constants are named as in
 * the YAML, upper-cased ({@code log_loss} is {@code LOG_LOSS}). Binding a value that is none of
 * them fails at load with {@code config key '<key>': expected one of <names>, got '<value>'}, so
 * the allowed values are written once, in the enum.
 */
final class Choices {
  private Choices() {}

  /** The YAML name of a constant. */
  static String key(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }

  /** The constant of a YAML name; an IllegalArgumentException naming the choices otherwise. */
  static <E extends Enum<E>> E of(Class<E> type, String key) {
    for (E e : type.getEnumConstants()) {
      if (key(e).equals(key)) {
        return e;
      }
    }
    throw new IllegalArgumentException(
        "expected one of "
            + Arrays.stream(type.getEnumConstants())
                .map(Choices::key)
                .collect(Collectors.joining(", "))
            + ", got '"
            + key
            + "'");
  }
}
