package io.xmodal.platform.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigSourceTest {

  @Test
  void shouldPassKafkaVariablesThroughAsClientSettings() {
    ConfigSource source = ConfigSource.of(Map.of("KAFKA_BOOTSTRAP_SERVERS", "b:9092",
        "KAFKA_SECURITY_PROTOCOL", "SASL_SSL", "KAFKA_SASL_JAAS_CONFIG", "secret stuff", "XMODAL_PARTITIONS", "6"));

    assertThat(source.kafkaClientSettings()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "bootstrap.servers", "b:9092", "security.protocol", "SASL_SSL", "sasl.jaas.config", "secret stuff"));
  }

  @Test
  void shouldMaskSecretsWhenDescribed() {
    ConfigSource source = ConfigSource.of(Map.of("KAFKA_SASL_JAAS_CONFIG", "user=x password=y",
        "XMODAL_REGISTRY_PASSWORD", "hunter2", "XMODAL_PARTITIONS", "6", "HOME", "/root"));

    assertThat(source.describe()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "KAFKA_SASL_JAAS_CONFIG", "******", "XMODAL_REGISTRY_PASSWORD", "******", "XMODAL_PARTITIONS", "6"));
  }

  @Test
  void shouldMaskSecretKafkaSettingsAndRegistryCredentialsWhenTheConfigIsPrinted() {
    ConfigSource source = ConfigSource.of(Map.of("KAFKA_BOOTSTRAP_SERVERS", "b:9092",
        "KAFKA_SECURITY_PROTOCOL", "SASL_SSL", "KAFKA_SASL_JAAS_CONFIG", "ScramLoginModule required password=\"jaas-pw\";",
        "KAFKA_SSL_KEY_PASSWORD", "key-pw", "KAFKA_SSL_KEYSTORE_KEY", "-----BEGIN PRIVATE KEY-----",
        "KAFKA_SASL_OAUTHBEARER_CLIENT_CREDENTIALS_CLIENT_SECRET", "oauth-secret",
        "XMODAL_REGISTRY_USER", "registry-user", "XMODAL_REGISTRY_PASSWORD", "registry-pw",
        "XMODAL_EMBEDDED_SASL_USER", "sasl-user", "XMODAL_EMBEDDED_SASL_PASSWORD", "sasl-pw"));

    // When the record prints itself (a record's own toString would print every map entry and component)
    String printed = PlatformConfig.from(source).toString();

    // Then no secret is in it, and what is not secret still is
    assertThat(printed).doesNotContain("jaas-pw", "key-pw", "PRIVATE KEY", "oauth-secret", "registry-pw", "sasl-pw")
        .contains("security.protocol=SASL_SSL", "registry-user", "sasl-user", "sasl.jaas.config=" + Secrets.MASK);
  }

  @Test
  void shouldNotEchoASecretSettingsValueInAnError() {
    ConfigSource source = ConfigSource.of(Map.of("XMODAL_SOME_PASSWORD", "hunter2"));

    assertThatThrownBy(() -> source.integer("XMODAL_SOME_PASSWORD", 0)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("XMODAL_SOME_PASSWORD").hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> source.bool("XMODAL_SOME_PASSWORD", false)).hasMessageNotContaining("hunter2");
  }

  @Test
  void shouldRequireAUserAndAPasswordTogether() {
    ConfigSource userOnly = ConfigSource.of(Map.of("XMODAL_REGISTRY_USER", "u"));
    ConfigSource passwordOnly = ConfigSource.of(Map.of("XMODAL_EMBEDDED_SASL_PASSWORD", "p"));

    assertThatThrownBy(() -> PlatformConfig.from(userOnly)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("XMODAL_REGISTRY_PASSWORD is missing");
    assertThatThrownBy(() -> EmbeddedSettings.from(passwordOnly)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("XMODAL_EMBEDDED_SASL_USER is missing");
    assertThat(PlatformConfig.from(ConfigSource.of(Map.of())).registryAuth()).isEmpty();
    assertThat(EmbeddedSettings.from(ConfigSource.of(Map.of())).sasl()).isEmpty();
  }

  @Test
  void shouldPreferTheEnvironmentOverThePropertiesFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("xmodal.properties");
    Files.writeString(file, "XMODAL_PARTITIONS=4\nXMODAL_TOPIC_PREFIX=demo\n");

    ConfigSource source = ConfigSource.of(Map.of("XMODAL_CONFIG_FILE", file.toString(), "XMODAL_PARTITIONS", "8"));

    TopicSettings topics = TopicSettings.from(source);
    assertThat(topics.partitions()).isEqualTo(8);
    assertThat(topics.prefix()).isEqualTo("demo");
  }

  @Test
  void shouldNameTheVariableWhenAValueIsMalformed() {
    ConfigSource source = ConfigSource.of(Map.of("XMODAL_PARTITIONS", "three", "XMODAL_METRICS_INTERVAL", "soon"));

    assertThatThrownBy(() -> TopicSettings.from(source)).isInstanceOf(ConfigException.class)
        .hasMessage("XMODAL_PARTITIONS must be an integer, got 'three'");
    assertThatThrownBy(() -> source.duration("XMODAL_METRICS_INTERVAL", Duration.ZERO))
        .hasMessageContaining("XMODAL_METRICS_INTERVAL must be a duration");
  }

  @Test
  void shouldParseDurationsWithAndWithoutUnits() {
    assertThat(ConfigSource.parseDuration("1500")).isEqualTo(Duration.ofMillis(1500));
    assertThat(ConfigSource.parseDuration("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(ConfigSource.parseDuration("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(ConfigSource.parseDuration("2m")).isEqualTo(Duration.ofMinutes(2));
  }

  @Test
  void shouldNormaliseTheRegistryUrlToTheV2Api() {
    assertThat(PlatformConfig.normaliseRegistryUrl("http://r:8080")).isEqualTo("http://r:8080/apis/registry/v2");
    assertThat(PlatformConfig.normaliseRegistryUrl("http://r:8080/apis/ccompat/v7/"))
        .isEqualTo("http://r:8080/apis/registry/v2");
  }

  @Test
  void shouldRefuseCredentialsInTheRegistryUrlWithoutEchoingThem() {
    ConfigSource source = ConfigSource.of(Map.of("XMODAL_REGISTRY_URL", "http://me:hunter2@r:8080/apis/registry/v2"));

    assertThatThrownBy(() -> PlatformConfig.from(source)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("XMODAL_REGISTRY_USER").hasMessageNotContaining("hunter2");
    assertThat(PlatformConfig.normaliseRegistryUrl("http://r:8080/a@b")).isEqualTo("http://r:8080/a@b/apis/registry/v2");
  }

  @Test
  void shouldExplainHowToGetABrokerWhenNoneIsConfigured() {
    PlatformConfig config = PlatformConfig.from(ConfigSource.of(Map.of()));

    assertThatThrownBy(config::requireBootstrap).isInstanceOf(ConfigException.class)
        .hasMessageContaining("KAFKA_BOOTSTRAP_SERVERS").hasMessageContaining("./xmodal up");
  }
}
