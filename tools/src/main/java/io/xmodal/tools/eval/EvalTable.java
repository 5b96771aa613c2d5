package io.xmodal.tools.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.xmodal.client.dataset.Dataset;
import io.xmodal.client.dataset.Flickr8k;
import io.xmodal.client.dataset.Split;
import io.xmodal.encode.EncodeConfig;
import io.xmodal.encoders.Encoders;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.tools.eval.OfflineEvaluation.Embedded;
import io.xmodal.tools.eval.OfflineEvaluation.Row;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** What {@code xmodal eval} and {@code xmodal bench refit} share: the splits' embeddings, and the table they print. */
public final class EvalTable {

  private EvalTable() {}

  /** The splits' embeddings, from the cache under XMODAL_WORK_DIR or encoded now (with progress lines). */
  public static Embedded[] embed(ConfigSource source, Path path, List<Split> splits, PrintStream out) {
    PlatformConfig platform = PlatformConfig.from(source);
    Path dir = path != null ? path : platform.sharedDir().resolve("datasets").resolve("flickr8k");
    EmbeddingCache cache = new EmbeddingCache(platform.workDir().resolve("cache").resolve("embeddings"), out);
    Embedded[] embedded = new Embedded[splits.size()];
    try (Encoders encoders = Encoders.load(EncodeConfig.from(source, platform).encoders())) {
      for (int i = 0; i < embedded.length; i++) {
        Dataset data = Flickr8k.load(dir, splits.get(i), 0);
        embedded[i] = OfflineEvaluation.embed(splits.get(i).name().toLowerCase(Locale.ROOT), data, encoders, cache);
      }
    }
    return embedded;
  }

  /** The table of {@code xmodal eval}: one row per method, recall both ways, rsum and fit seconds. */
  public static void print(PrintStream out, List<Row> rows) {
    out.printf("%-52s %6s %6s %6s | %6s %6s %6s | %6s %7s%n", "method", "T2I@1", "@5", "@10", "I2T@1", "@5", "@10",
        "rsum", "fit s");
    for (Row r : rows) {
      var m = r.recall();
      out.printf("%-52s %6.1f %6.1f %6.1f | %6.1f %6.1f %6.1f | %6.1f %7.2f%n", r.method(), m.t2iR1(), m.t2iR5(),
          m.t2iR10(), m.i2tR1(), m.i2tR5(), m.i2tR10(), m.rsum(), r.fitSeconds());
    }
  }

  /** The same rows as JSON ({@code --json}): {@code {"rows": [{method, t2i, i2t, rsum, fit_seconds}, …]}}. */
  public static void writeJson(Path json, List<Row> rows) throws IOException {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Row r : rows) {
      var m = r.recall();
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("method", r.method());
      row.put("t2i", Map.of("r1", m.t2iR1(), "r5", m.t2iR5(), "r10", m.t2iR10()));
      row.put("i2t", Map.of("r1", m.i2tR1(), "r5", m.i2tR5(), "r10", m.i2tR10()));
      row.put("rsum", m.rsum());
      row.put("fit_seconds", r.fitSeconds());
      out.add(row);
    }
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), Map.of("rows", out));
  }
}
