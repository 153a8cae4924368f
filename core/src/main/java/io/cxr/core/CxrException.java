package io.cxr.core;

/**
 * An error caused by the user's input (a file, a config key, a value) whose message is one line
 * that names the culprit and says what was expected.
 */
public class CxrException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CxrException(String message) {
    super(oneLine(message));
  }

  public CxrException(String message, Throwable cause) {
    super(oneLine(message), cause);
  }

  private static String oneLine(String message) {
    return message == null ? "unknown error" : message.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
  }
}
