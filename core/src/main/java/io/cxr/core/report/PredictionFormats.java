package io.cxr.core.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import io.cxr.core.io.Json;
import io.cxr.core.model.Prediction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * predict's outputs: a table for people, CSV (RFC 4180 quoting) and JSON for programs. A file that
 * could not be read is a row of its own: label ERROR, no probability, the reason in {@code error}.
 */
public final class PredictionFormats {
  /** predict's output formats ({@code --format}). */
  public enum Format {
    /** Aligned columns and a summary line, for people. */
    TABLE,
    /** RFC 4180 CSV with a header. */
    CSV,
    /** A JSON array of rows. */
    JSON;

    /** The format of a {@code --format} value; one line naming the formats otherwise. */
    public static Format of(String name) {
      for (Format f : values()) {
        if (f.name().toLowerCase(Locale.ROOT).equals(name)) {
          return f;
        }
      }
      throw new io.cxr.core.CxrException(
          "--format: expected table, csv or json, got '" + name + "'");
    }
  }

  private static final CsvMapper CSV = new CsvMapper();

  private PredictionFormats() {}

  public static String format(Format format, List<Prediction> preds, double threshold) {
    return switch (format) {
      case CSV -> csv(preds);
      case JSON -> Json.toJson(rows(preds)) + "\n";
      case TABLE -> table(preds, threshold);
    };
  }

  /**
   * Whether {@code file} holds predictions as cxr writes them in one of its formats: a CSV with
   * cxr's header, a JSON array of cxr's rows, or cxr's table (its summary line last). {@code -o}
   * replaces only such a file.
   */
  public static boolean isWrittenByCxr(java.nio.file.Path file) {
    String text;
    try {
      if (java.nio.file.Files.size(file) > MAX_RECOGNISED) {
        return false;
      }
      text = java.nio.file.Files.readString(file);
    } catch (java.io.IOException | java.io.UncheckedIOException e) {
      return false; // unreadable as UTF-8 or not a file: not ours
    }
    if (text.startsWith(CSV_HEADER + "\n") || text.equals(CSV_HEADER + "\n")) {
      return true;
    }
    if (text.startsWith("[")) {
      try {
        var rows = Json.JSON.readTree(text);
        for (var r : rows) {
          if (!r.has("file") || !r.has("label") || !r.has("probability_pneumonia")) {
            return false;
          }
        }
        return rows.isArray();
      } catch (java.io.IOException e) {
        return false;
      }
    }
    List<String> lines = text.lines().toList();
    return !lines.isEmpty() && TABLE_SUMMARY.matcher(lines.get(lines.size() - 1)).matches();
  }

  /** Larger files are not taken for cxr's predictions (read whole to be recognised). */
  private static final long MAX_RECOGNISED = 256L << 20;

  private static final String CSV_HEADER = "file,label,probability_pneumonia,error";

  private static final java.util.regex.Pattern TABLE_SUMMARY =
      java.util.regex.Pattern.compile(
          "\\d+ images: \\d+ PNEUMONIA, \\d+ NORMAL(, \\d+ unreadable)? \\(threshold [0-9.]+\\)");

  private static List<Map<String, Object>> rows(List<Prediction> preds) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Prediction p : preds) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("file", p.file().toString());
      r.put("label", p.label());
      r.put("probability_pneumonia", p.failed() ? null : p.probability());
      if (p.failed()) {
        r.put("error", p.error());
      }
      rows.add(r);
    }
    return rows;
  }

  private static String csv(List<Prediction> preds) {
    CsvSchema schema =
        CsvSchema.builder()
            .addColumn("file")
            .addColumn("label")
            .addColumn("probability_pneumonia")
            .addColumn("error")
            .build()
            .withHeader();
    List<List<String>> rows = new ArrayList<>();
    for (Prediction p : preds) {
      rows.add(
          List.of(
              p.file().toString(),
              p.label(),
              p.failed() ? "" : String.format(Locale.ROOT, "%.6f", p.probability()),
              p.failed() ? p.error() : ""));
    }
    try {
      return CSV.writer(schema).writeValueAsString(rows);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String table(List<Prediction> preds, double threshold) {
    StringBuilder sb = new StringBuilder();
    preds.forEach(
        p ->
            sb.append(
                p.failed()
                    ? String.format(
                        Locale.ROOT, "%-10s %6s  %s: %s%n", p.label(), "-", p.file(), p.error())
                    : String.format(
                        Locale.ROOT, "%-10s %.4f  %s%n", p.label(), p.probability(), p.file())));
    long pn = preds.stream().filter(p -> p.label().equals("PNEUMONIA")).count();
    long failed = preds.stream().filter(Prediction::failed).count();
    sb.append(
        String.format(
            Locale.ROOT,
            "%d images: %d PNEUMONIA, %d NORMAL%s (threshold %.4f)%n",
            preds.size(),
            pn,
            preds.size() - pn - failed,
            failed == 0 ? "" : ", " + failed + " unreadable",
            threshold));
    return sb.toString();
  }
}
