package io.cxr.core.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cxr.core.CxrException;
import io.cxr.core.io.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Loads the configuration: the defaults bundled with cxr (a copy of conf/config.yaml), then a YAML
 * file, then Hydra-style {@code section.key=value} overrides. Unknown keys and wrong types are
 * errors that name the key.
 */
public final class ConfigLoader {
  /** The classpath copy of conf/config.yaml. */
  public static final String DEFAULTS_RESOURCE = "/cxr/config.yaml";

  private static final ObjectMapper BINDER =
      Json.YAML
          .copy()
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
          .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS);

  /** The largest config file read (cxr's own config is about 4 KiB). */
  static final long MAX_FILE_BYTES = 1 << 20;

  private ConfigLoader() {}

  /** The bundled defaults as a tree. */
  public static ObjectNode defaults() {
    try (InputStream in = ConfigLoader.class.getResourceAsStream(DEFAULTS_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("bundled defaults " + DEFAULTS_RESOURCE + " missing");
      }
      return (ObjectNode) Json.YAML.readTree(in);
    } catch (IOException e) {
      throw new IllegalStateException("bundled defaults unreadable", e);
    }
  }

  /**
   * Resolves a config: defaults, then {@code file} (may be null), then overrides.
   *
   * @param file a YAML file whose keys must all exist in the defaults
   * @param overrides {@code dotted.key=value} strings; values are parsed as YAML scalars or lists
   */
  public static CxrConfig load(Path file, List<String> overrides) {
    ObjectNode tree = defaults();
    if (file != null) {
      JsonNode user = readFile(file);
      if (user != null && !user.isMissingNode() && !user.isNull()) {
        if (!user.isObject()) {
          throw new CxrException("config file " + file + ": expected a mapping of sections");
        }
        merge(tree, (ObjectNode) user, "", file.toString());
      }
    }
    return redacting(
        () -> {
          for (String o : overrides == null ? List.<String>of() : overrides) {
            applyOverride(tree, o);
          }
          return bindBlaming(tree, file == null ? "config" : "config file " + file, overrides);
        });
  }

  /** Runs {@code load}, with credentials of any URI taken out of the message of its error. */
  private static CxrConfig redacting(java.util.function.Supplier<CxrConfig> load) {
    try {
      return load.get();
    } catch (CxrException e) {
      String safe = UriCredentials.redact(e.getMessage());
      throw safe.equals(e.getMessage()) ? e : new CxrException(safe);
    }
  }

  /** A user's config file as a tree; one line naming the file and the place when it is not YAML. */
  private static JsonNode readFile(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new CxrException("config file " + file + ": not found (expected a YAML file)");
    }
    try {
      long bytes = Files.size(file);
      if (bytes > MAX_FILE_BYTES) {
        // the whole config is a few KiB: a larger file is a mistake (or a bomb), not read
        throw new CxrException(
            "config file "
                + file
                + ": "
                + bytes
                + " bytes (expected a YAML config of at most "
                + MAX_FILE_BYTES / 1024
                + " KiB)");
      }
    } catch (IOException e) {
      throw new CxrException("config file " + file + ": cannot read (" + e.getMessage() + ")");
    }
    try (java.io.InputStream in = Files.newInputStream(file)) {
      return Json.YAML
          .reader()
          .with(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
          .readTree(in);
    } catch (JsonProcessingException e) {
      String where =
          e.getLocation() == null
              ? ""
              : " at line "
                  + e.getLocation().getLineNr()
                  + ", column "
                  + e.getLocation().getColumnNr();
      String why = firstLine(e.getOriginalMessage());
      if (why.startsWith("Duplicate field")) {
        throw new CxrException(
            "config file "
                + file
                + where
                + ": duplicate key "
                + why.replaceAll("Duplicate field ('[^']*').*", "$1")
                + " (each key may appear once)");
      }
      throw new CxrException("config file " + file + ": not valid YAML" + where + " (" + why + ")");
    } catch (IOException e) {
      throw new CxrException("config file " + file + ": cannot read (" + e.getMessage() + ")");
    }
  }

  /**
   * A resolved config with {@code overrides} set: its own tree (never re-read from text) changed
   * and checked as the command line's overrides are.
   */
  public static CxrConfig with(CxrConfig config, List<String> overrides) {
    ObjectNode tree = BINDER.valueToTree(config);
    return redacting(
        () -> {
          for (String o : overrides) {
            applyOverride(tree, o);
          }
          return bindBlaming(tree, "config", overrides);
        });
  }

  /** Binds, blaming a bad value given as an override on the override rather than its origin. */
  private static CxrConfig bindBlaming(ObjectNode tree, String origin, List<String> overrides) {
    try {
      return bindStripped(tree, origin); // the caller redacts
    } catch (CxrException e) {
      Map<String, String> byKey = new LinkedHashMap<>(); // a key given twice: the last counts
      for (String o : overrides == null ? List.<String>of() : overrides) {
        byKey.put(o.substring(0, o.indexOf('=')).trim(), o);
      }
      String m = e.getMessage();
      for (var o : byKey.entrySet()) {
        if (m.contains("config key '" + o.getKey() + "'")
            || m.contains("config key '" + o.getKey() + "[")) {
          throw new CxrException(
              "override '" + o.getValue() + "': " + m.substring(m.indexOf("config key '")));
        }
      }
      throw e;
    }
  }

  /**
   * Binds a complete tree (as written beside outputs) back to a record. User info in {@code
   * tracking.uri} is taken out ({@link UriCredentials}): no file, param or message made from the
   * config carries it.
   */
  public static CxrConfig bind(JsonNode tree, String origin) {
    return redacting(() -> bindStripped(tree, origin));
  }

  /** Binds and validates, then takes user info out of {@code tracking.uri}. */
  private static CxrConfig bindStripped(JsonNode tree, String origin) {
    CxrConfig c = bindChecked(tree, origin);
    String uri = c.tracking().uri();
    String stripped = UriCredentials.strip(uri);
    return stripped.equals(uri) ? c : c.withTrackingUri(stripped); // bound: never null
  }

  private static CxrConfig bindChecked(JsonNode tree, String origin) {
    CxrConfig bound;
    try {
      bound = BINDER.treeToValue(tree, CxrConfig.class);
    } catch (UnrecognizedPropertyException e) {
      throw new CxrException(origin + ": unknown config key '" + Json.fieldPath(e) + "'");
    } catch (JsonMappingException e) {
      throw new CxrException(origin + ": config key '" + Json.fieldPath(e) + "': " + describe(e));
    } catch (JsonProcessingException e) {
      throw new CxrException(origin + ": " + firstLine(e.getOriginalMessage()));
    }
    try {
      return bound.validate();
    } catch (CxrException e) {
      // say where the value came from (a file, or the defaults and overrides)
      throw e.getMessage().startsWith(origin)
          ? e
          : new CxrException(origin + ": " + e.getMessage());
    }
  }

  /** The resolved config as YAML, the form written beside every output. */
  public static String toYaml(CxrConfig config) {
    try {
      return BINDER.writeValueAsString(config);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The resolved config flattened to dotted keys (for trackers and reports). */
  public static Map<String, String> flatten(CxrConfig config) {
    Map<String, String> out = new LinkedHashMap<>();
    flatten(BINDER.valueToTree(config), "", out);
    return out;
  }

  private static void flatten(JsonNode node, String prefix, Map<String, String> out) {
    if (node.isObject()) {
      node.fields()
          .forEachRemaining(
              e ->
                  flatten(
                      e.getValue(),
                      prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(),
                      out));
    } else if (node.isArray()) {
      List<String> items = new ArrayList<>();
      node.forEach(n -> items.add(n.asText()));
      out.put(prefix, "[" + String.join(", ", items) + "]");
    } else {
      out.put(prefix, node.asText());
    }
  }

  /** Applies one {@code key=value} override to a config tree (keys must exist). */
  public static void applyOverride(ObjectNode tree, String override) {
    int eq = override.indexOf('=');
    if (eq <= 0) {
      throw new CxrException("override '" + override + "': expected section.key=value");
    }
    String key = override.substring(0, eq).trim();
    String raw = override.substring(eq + 1);
    String[] parts = key.split("\\.");
    ObjectNode node = tree;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonNode child = node.get(parts[i]);
      if (child == null || !child.isObject()) {
        throw unknown(override, key, node, parts[i], join(parts, i));
      }
      node = (ObjectNode) child;
    }
    String leaf = parts[parts.length - 1];
    JsonNode old = node.get(leaf);
    if (old == null) {
      throw unknown(override, key, node, leaf, join(parts, parts.length - 1));
    }
    if (old.isObject()) {
      throw new CxrException(
          "override '"
              + override
              + "': '"
              + key
              + "' is a section; set one of its keys: "
              + keys(old, key + "."));
    }
    JsonNode value;
    try {
      value = raw.isEmpty() ? Json.YAML.getNodeFactory().textNode("") : Json.YAML.readTree(raw);
    } catch (IOException e) {
      throw new CxrException("override '" + override + "': value is not valid YAML");
    }
    if (value == null || value.isMissingNode()) {
      value = Json.YAML.getNodeFactory().nullNode();
    }
    if (old.isTextual() && value.isValueNode() && !value.isNull()) {
      value = Json.YAML.getNodeFactory().textNode(raw.trim()); // keep strings as typed
    }
    node.set(leaf, value);
  }

  private static void merge(ObjectNode base, ObjectNode user, String prefix, String origin) {
    Iterator<Map.Entry<String, JsonNode>> it = user.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = prefix + e.getKey();
      JsonNode old = base.get(e.getKey());
      if (old == null) {
        throw new CxrException(
            "config file "
                + origin
                + ": unknown config key '"
                + key
                + "' (known here: "
                + keys(base, prefix)
                + ")");
      }
      if (old.isObject()) {
        if (!e.getValue().isObject()) {
          throw new CxrException(
              "config file "
                  + origin
                  + ": config key '"
                  + key
                  + "': expected a mapping with keys "
                  + keys(old, key + "."));
        }
        merge((ObjectNode) old, (ObjectNode) e.getValue(), key + ".", origin);
      } else {
        base.set(e.getKey(), e.getValue());
      }
    }
  }

  private static CxrException unknown(
      String override, String key, JsonNode parent, String part, String at) {
    return new CxrException(
        "override '"
            + override
            + "': unknown config key '"
            + key
            + "' (no '"
            + part
            + "' in "
            + (at.isEmpty() ? "the top level" : "'" + at + "'")
            + "; known: "
            + keys(parent, at.isEmpty() ? "" : at + ".")
            + ")");
  }

  private static String keys(JsonNode node, String prefix) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(n -> names.add(prefix + n));
    return names.stream().collect(Collectors.joining(", "));
  }

  private static String join(String[] parts, int upTo) {
    return String.join(".", Arrays.copyOf(parts, upTo));
  }

  private static String describe(JsonMappingException e) {
    String m = firstLine(e.getOriginalMessage());
    JsonNode d = defaults();
    for (String part : Json.fieldPath(e).replaceAll("\\[\\d+]$", "").split("\\.")) {
      d = d.path(part);
    }
    if (m.contains("Cannot coerce") || m.contains("Cannot deserialize value of type")) {
      String got = m.replaceAll(".* from ([^(]*?) value.*", "$1").trim();
      String value = m.replaceAll(".*\\(\"([^\"]*)\"\\).*", "$1");
      return "expected " + kind(d) + ", got " + (value.equals(m) ? noun(got) : "'" + value + "'");
    }
    if (e.getCause() instanceof IllegalArgumentException iae) {
      return iae.getMessage();
    }
    if (m.contains("Null value") || m.contains("Missing") || m.contains("Cannot map `null`")) {
      return "expected " + kind(d) + ", got none";
    }
    return m;
  }

  /** Jackson's name of a YAML node type, as the user wrote it. */
  private static String noun(String jacksonType) {
    return switch (jacksonType.toLowerCase(java.util.Locale.ROOT)) {
      case "array" -> "a list";
      case "object" -> "a mapping";
      case "integer" -> "an integer";
      default -> "a " + jacksonType.toLowerCase(java.util.Locale.ROOT);
    };
  }

  /** What a default value's kind asks for, in words. */
  private static String kind(JsonNode d) {
    if (d.isArray()) {
      return d.size() > 0
          ? "a list of " + kind(d.get(0)).replaceFirst("^an? ", "") + "s such as " + d
          : "a list";
    }
    if (d.isBoolean()) {
      return "true or false";
    }
    if (d.isIntegralNumber()) {
      return "an integer";
    }
    if (d.isNumber()) {
      return "a number";
    }
    return d.isTextual() ? "a string" : "a value";
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
