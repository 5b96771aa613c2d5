package io.xmodal.embedded;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xmodal.platform.config.ConfigException;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.EmbeddedSettings;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The embedded runtime refuses to start when the clients' KAFKA_* security would not fit its listener. */
class EmbeddedListenerSettingsTest {

  private static final EmbeddedSettings PLAINTEXT = EmbeddedSettings.from(ConfigSource.of(Map.of()));
  private static final EmbeddedSettings SASL = EmbeddedSettings.from(ConfigSource.of(Map.of(
      "XMODAL_EMBEDDED_SASL_USER", "alice", "XMODAL_EMBEDDED_SASL_PASSWORD", "alice-pw")));

  @Test
  void shouldAcceptPlainClientsOnThePlaintextDefaultAndScramClientsOnTheSaslListener() {
    assertThatCode(() -> EmbeddedRuntime.requireClientsMatchTheListener(PLAINTEXT, Map.of())).doesNotThrowAnyException();
    assertThatCode(() -> EmbeddedRuntime.requireClientsMatchTheListener(SASL, Map.of(
        "security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-256", "sasl.jaas.config", "…")))
        .doesNotThrowAnyException();
  }

  @Test
  void shouldNameTheMissingClientSettingsWhenTheBrokerWillWantSasl() {
    assertThatThrownBy(() -> EmbeddedRuntime.requireClientsMatchTheListener(SASL, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT")
        .hasMessageContaining("KAFKA_SASL_MECHANISM=SCRAM-SHA-256")
        .hasMessageContaining("KAFKA_SASL_JAAS_CONFIG")
        .hasMessageNotContaining("alice-pw");
  }

  @Test
  void shouldNameTheSaslSettingsWhenClientsWantSaslFromThePlaintextDefault() {
    assertThatThrownBy(() -> EmbeddedRuntime.requireClientsMatchTheListener(PLAINTEXT,
        Map.of("security.protocol", "SASL_PLAINTEXT")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("XMODAL_EMBEDDED_SASL_USER");
  }
}
