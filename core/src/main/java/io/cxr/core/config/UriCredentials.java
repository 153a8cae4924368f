package io.cxr.core.config;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Credentials given inside a URI ({@code http://user:password@host}) never travel with the config:
 * the loader strips them from {@code tracking.uri}, so config.yaml, model cards, run params and
 * artifacts carry the URI without them, and keeps them in this process's memory for the tracking
 * client only. The environment ({@code MLFLOW_TRACKING_USERNAME} / {@code _PASSWORD} / {@code
 * _TOKEN}) is the place for them; this keeps a URI with user info working without leaking it.
 */
public final class UriCredentials {
  private static final Pattern USERINFO = Pattern.compile("(?<=://)([^/@\\s'\"]*)@");
  private static final Map<String, String> KEPT = new ConcurrentHashMap<>();

  private UriCredentials() {}

  /** Any text with the user info of every URI in it removed (messages, overrides). */
  public static String redact(String text) {
    return text == null ? "" : USERINFO.matcher(text).replaceAll("");
  }

  /**
   * The URI without its user info; the user info is kept (in memory) for {@link #userInfo} of the
   * stripped URI.
   */
  static String strip(String uri) {
    Matcher m = USERINFO.matcher(uri);
    if (!m.find()) {
      return uri;
    }
    String stripped = redact(uri);
    KEPT.put(stripped, m.group(1));
    return stripped;
  }

  /** The user info ({@code user:password}, percent-encoded) a stripped URI was given with. */
  public static Optional<String> userInfo(String strippedUri) {
    return Optional.ofNullable(strippedUri == null ? null : KEPT.get(strippedUri.trim()));
  }
}
