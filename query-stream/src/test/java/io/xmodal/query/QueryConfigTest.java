package io.xmodal.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xmodal.platform.config.ConfigException;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.query.replicated.QueryTopologyTest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QueryConfigTest {

  @TempDir
  Path work;

  QueryConfig config(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(Map.of("XMODAL_WORK_DIR", work.toString(), "KAFKA_BOOTSTRAP_SERVERS",
        "localhost:9092", "XMODAL_SHARED_DIR", QueryTopologyTest.SHARED.toString()));
    env.putAll(extra);
    ConfigSource source = ConfigSource.of(env);
    return QueryConfig.from(source, PlatformConfig.from(source));
  }

  @Test
  void shouldWaitTwoSecondsForANewVersionsGalleryByDefaultAndTakeZeroToFiveSeconds() {
    assertThat(config(Map.of()).prepareWait()).isEqualTo(Duration.ofSeconds(2));
    assertThat(config(Map.of("XMODAL_QUERY_PREPARE_WAIT", "0ms")).prepareWait()).isZero();
    assertThat(config(Map.of("XMODAL_QUERY_PREPARE_WAIT", "5s")).prepareWait()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void shouldRefuseAPrepareWaitThatWouldHoldATransactionTooLongAndSayWhy() {
    assertThatThrownBy(() -> config(Map.of("XMODAL_QUERY_PREPARE_WAIT", "6s")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("XMODAL_QUERY_PREPARE_WAIT must be between 0 and 5s")
        .hasMessageContaining("got 6000ms");
  }
}
