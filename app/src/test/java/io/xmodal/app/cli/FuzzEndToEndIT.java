package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.platform.config.ConfigSource;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short './xmodal fuzz' on the embedded default (real broker and registry, all four services): every kind of
 * hostile input once and a seeded mix after, each input accounted for by its source offset.
 */
@Tag("e2e")
@Timeout(600)
class FuzzEndToEndIT {

  @TempDir
  Path work;

  @Test
  void shouldAccountForEveryHostileAndValidInputWithoutAThreadDeath() throws Exception {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8);

    FuzzCommand.Result r = FuzzCommand.run(ConfigSource.of(SingleEncoders.with(Map.of("XMODAL_WORK_DIR", work.toString()))), 160, 20261201L,
        Duration.ofMinutes(4), false, out);

    String text = captured.toString(StandardCharsets.UTF_8);
    System.out.println(text);
    assertThat(r.inputs()).isEqualTo(160);
    assertThat(r.lost()).as("lost inputs").isZero();
    assertThat(r.unexpected()).as("inputs that ended elsewhere than their kind must").isZero();
    assertThat(r.threadDeaths()).as("stream threads that died").isZero();
    String[] lines = text.strip().split("\n");
    assertThat(lines[lines.length - 1]).isEqualTo("fuzz: inputs 160 accounted 160 lost 0 thread-deaths 0 seed 20261201");
    for (String kind : new String[] {"wrong_type_on_queries", "wrong_type_on_embeddings", "uri_through_link",
        "tombstone_caption", "foreign_schema_id", "decompression_bomb", "invalid_utf8"}) {
      assertThat(text).contains(kind);
    }
  }
}
