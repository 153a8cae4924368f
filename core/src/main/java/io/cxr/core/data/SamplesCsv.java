package io.cxr.core.data;

import java.util.List;

/**
 * {@code samples.csv}: which image is row i of each split's tensors (split, index, id, label,
 * patient).
 */
public final class SamplesCsv {
  private final StringBuilder csv = new StringBuilder("split,index,id,label,patient\n");

  public SamplesCsv add(Split split, List<Sample> kept) {
    for (int i = 0; i < kept.size(); i++) {
      Sample k = kept.get(i);
      csv.append(split.key())
          .append(',')
          .append(i)
          .append(',')
          .append(field(k.id()))
          .append(',')
          .append(Label.of(k.label()).name())
          .append(',')
          .append(field(k.patient()))
          .append('\n');
    }
    return this;
  }

  @Override
  public String toString() {
    return csv.toString();
  }

  /**
   * RFC 4180: a field holding a comma, a quote or a line break (file names may hold any of them) is
   * quoted, its quotes doubled, so each row reads back as one sample; other fields are as they are.
   */
  private static String field(String s) {
    return s.chars().anyMatch(c -> c == ',' || c == '"' || c == '\n' || c == '\r')
        ? "\"" + s.replace("\"", "\"\"") + "\""
        : s;
  }
}
