package io.xmodal.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.EmbeddedSettings;
import io.xmodal.platform.process.Ports;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The embedded broker's SASL user follows XMODAL_EMBEDDED_SASL_USER/_PASSWORD on every start, not only the first. */
@Tag("e2e")
@Timeout(180)
class EmbeddedBrokerSaslIT {

  @TempDir
  Path work;

  @Test
  void shouldAcceptOnlyTheUserAndPasswordOfTheLatestStart() throws Exception {
    EmbeddedSettings first = settings("alice", "first-password");

    // Given a broker formatted with alice's first password
    try (EmbeddedBroker broker = start(first)) {
      // then she logs in with it
      assertThat(login(broker, "alice", "first-password")).isNull();
    }

    // When it restarts on the same data with a new password for alice
    try (EmbeddedBroker broker = start(settings("alice", "second-password"))) {
      // Then only the new one works
      assertThat(login(broker, "alice", "second-password")).isNull();
      assertThat(login(broker, "alice", "first-password")).isInstanceOf(SaslAuthenticationException.class);
    }

    // When it restarts with another user instead
    try (EmbeddedBroker broker = start(settings("bob", "bobs-password"))) {
      // Then bob logs in and alice no longer does
      assertThat(login(broker, "bob", "bobs-password")).isNull();
      assertThat(login(broker, "alice", "second-password")).isInstanceOf(SaslAuthenticationException.class);
    }
  }

  private EmbeddedSettings settings(String user, String password) {
    return EmbeddedSettings.from(ConfigSource.of(Map.of(
        "XMODAL_EMBEDDED_SASL_USER", user, "XMODAL_EMBEDDED_SASL_PASSWORD", password)))
        .withPorts(Ports.freePort(), Ports.freePort(), Ports.freePort());
  }

  private EmbeddedBroker start(EmbeddedSettings settings) throws InterruptedException {
    EmbeddedBroker broker = EmbeddedBroker.start(settings, work.resolve("kafka"), 1024 * 1024,
        work.resolve("logs").resolve("broker.log"));
    broker.awaitReady(Duration.ofSeconds(90));
    return broker;
  }

  /** What a SCRAM-SHA-256 client with these credentials gets: null when it is let in. */
  private static Throwable login(EmbeddedBroker broker, String user, String password) throws Exception {
    try (Admin admin = Admin.create(Map.of(
        "bootstrap.servers", broker.bootstrapServers(),
        "security.protocol", "SASL_PLAINTEXT",
        "sasl.mechanism", "SCRAM-SHA-256",
        "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
            + "\" password=\"" + password + "\";"))) {
      admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS);
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }
}
