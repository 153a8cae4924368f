package io.cxr.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SamplesCsvTest {
  private static Sample sample(String id, int label) {
    return new Sample(id, label, "p", Split.TRAIN, Path.of(id), -1);
  }

  @Test
  void plainNamesAreWrittenAsTheyAre() {
    String csv =
        new SamplesCsv()
            .add(Split.TRAIN, List.of(sample("train/NORMAL/IM-0115-0001.jpeg", 0)))
            .toString();
    assertEquals(
        "split,index,id,label,patient\ntrain,0,train/NORMAL/IM-0115-0001.jpeg,NORMAL,p\n", csv);
  }

  /** File names may hold commas, quotes and line breaks: each row still reads back as one. */
  @Test
  void oddFileNamesReadBackAsOneRowEach() throws Exception {
    List<String> ids =
        List.of("a,b.jpeg", "say \"hi\".png", "two\nlines.jpeg", "cr\rname.jpg", " lead.jpg");
    SamplesCsv csv = new SamplesCsv();
    csv.add(Split.VAL, ids.stream().map(id -> sample(id, 1)).toList());
    try (MappingIterator<Map<String, String>> it =
        new CsvMapper()
            .readerFor(Map.class)
            .with(CsvSchema.emptySchema().withHeader())
            .readValues(csv.toString())) {
      List<Map<String, String>> rows = it.readAll();
      assertEquals(ids, rows.stream().map(r -> r.get("id")).toList());
      assertEquals("4", rows.get(4).get("index"));
      assertEquals("PNEUMONIA", rows.get(2).get("label"));
    }
  }
}
