package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every consumer xmodal ships reads committed records only (a read_uncommitted one saw aborted duplicates). */
class CommittedReadsTest {

  @Test
  void shouldGiveEveryShippedConsumerReadCommittedSettings() {
    PlatformConfig config = PlatformConfig.from(ConfigSource.of(Map.of("KAFKA_BOOTSTRAP_SERVERS", "h:9092",
        "KAFKA_ISOLATION_LEVEL", "read_uncommitted")));

    Map<String, Object> c = config.consumerConfig();

    assertThat(c).containsEntry("isolation.level", "read_committed").containsEntry("enable.auto.commit", false)
        .containsEntry("bootstrap.servers", "h:9092");
  }

  @Test
  void shouldBuildEveryKafkaConsumerOfTheCliClientAndToolsFromTheCommittedSettings() throws IOException {
    // the CLI's, the client's and the tools' (run from app's folder)
    List<Path> sources = new ArrayList<>();
    for (String module : List.of(".", "../client", "../tools")) {
      try (Stream<Path> files = Files.walk(Path.of(module, "src/main/java"))) {
        files.filter(p -> p.toString().endsWith(".java")).forEach(sources::add);
      }
    }
    int consumers = 0;
    for (Path p : sources) {
      String text = Files.readString(p);
      if (text.contains("new KafkaConsumer<>(")) {
        consumers++;
        assertThat(text).as("%s builds a KafkaConsumer: it must use PlatformConfig.consumerConfig()", p)
            .contains("consumerConfig()");
      }
    }
    assertThat(consumers).isGreaterThanOrEqualTo(6);
  }
}
