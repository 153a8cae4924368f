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
  public static final List<String> FORMATS = List.of("table", "csv", "json");
  private static final CsvMapper CSV = new CsvMapper();

  private PredictionFormats() {}

  public static String format(String format, List<Prediction> preds, double threshold) {
    return switch (format) {
      case "csv" -> csv(preds);
      case "json" -> Json.toJson(rows(preds)) + "\n";
      default -> table(preds, threshold);
    };
  }

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
