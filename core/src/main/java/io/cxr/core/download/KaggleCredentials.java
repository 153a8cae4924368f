package io.cxr.core.download;

import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.CxrException;
import io.cxr.core.io.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;

/**
 * Kaggle API credentials from {@code KAGGLE_USERNAME}/{@code KAGGLE_KEY} or {@code
 * ~/.kaggle/kaggle.json}. The key never appears in {@link #toString()} or in messages.
 */
public final class KaggleCredentials {
  private final String username;
  private final String key;
  private final String origin;

  private KaggleCredentials(String username, String key, String origin) {
    this.username = username;
    this.key = key;
    this.origin = origin;
  }

  /** Reads credentials: environment first, then {@code kaggleJson}. */
  public static KaggleCredentials resolve(Map<String, String> env, Path kaggleJson) {
    String u = env.get("KAGGLE_USERNAME");
    String k = env.get("KAGGLE_KEY");
    if (u != null && !u.isBlank() && k != null && !k.isBlank()) {
      return new KaggleCredentials(u.trim(), k.trim(), "KAGGLE_USERNAME/KAGGLE_KEY");
    }
    if (kaggleJson != null && Files.isRegularFile(kaggleJson)) {
      JsonNode n;
      try {
        n = Json.JSON.readTree(Files.readString(kaggleJson, StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new CxrException(
            "Kaggle credentials "
                + kaggleJson
                + ": not valid JSON (expected "
                + "{\"username\": ..., \"key\": ...})");
      }
      if (n == null || !n.path("username").isTextual() || !n.path("key").isTextual()) {
        throw new CxrException(
            "Kaggle credentials "
                + kaggleJson
                + ": missing 'username' or "
                + "'key' (expected {\"username\": ..., \"key\": ...})");
      }
      return new KaggleCredentials(
          n.get("username").asText(), n.get("key").asText(), kaggleJson.toString());
    }
    throw new CxrException(
        "no Kaggle credentials: set KAGGLE_USERNAME and KAGGLE_KEY, or create "
            + (kaggleJson == null ? "~/.kaggle/kaggle.json" : kaggleJson)
            + " (Kaggle > Settings > API > Create New Token)");
  }

  /** The value of the HTTP Authorization header. */
  String authorization() {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((username + ":" + key).getBytes(StandardCharsets.UTF_8));
  }

  public String origin() {
    return origin;
  }

  @Override
  public String toString() {
    return "KaggleCredentials[from " + origin + ", key hidden]";
  }
}
