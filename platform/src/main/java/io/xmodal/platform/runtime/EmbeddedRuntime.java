package io.xmodal.platform.runtime;

import io.xmodal.platform.config.ConfigException;
import io.xmodal.platform.config.EmbeddedSettings;
import io.xmodal.platform.config.PlatformConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default: a KRaft broker and an Apicurio registry started side by side in child JVMs, with data
 * under the work directory ({@code kafka/}, {@code registry/}) and logs under {@code logs/}. A second start on
 * the same work directory resumes on the same data.
 */
public final class EmbeddedRuntime implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedRuntime.class);

  private final EmbeddedBroker broker;
  private final EmbeddedRegistry registry;
  private final Duration startupSeconds;

  private EmbeddedRuntime(EmbeddedBroker broker, EmbeddedRegistry registry, Duration startup) {
    this.broker = broker;
    this.registry = registry;
    this.startupSeconds = startup;
  }

  /** Checks the ports, starts both, waits until both serve. Stops what it started if anything fails. */
  public static EmbeddedRuntime start(PlatformConfig config, Optional<String> registryDist, Duration timeout)
      throws InterruptedException {
    EmbeddedSettings s = config.embedded();
    requireClientsMatchTheListener(s, config.kafkaClient());
    Ports.requireFree(s.bindHost(), s.brokerPort(), "Kafka broker", EmbeddedSettings.BROKER_PORT);
    Ports.requireFree(s.bindHost(), s.controllerPort(), "KRaft controller", EmbeddedSettings.CONTROLLER_PORT);
    Ports.requireFree(s.bindHost(), s.registryPort(), "schema registry", EmbeddedSettings.REGISTRY_PORT);
    Path work = config.workDir();
    long t0 = System.nanoTime();
    EmbeddedBroker broker = EmbeddedBroker.start(s, work.resolve("kafka"), config.topics().maxMessageBytes(),
        work.resolve("logs").resolve("broker.log"));
    EmbeddedRegistry registry = null;
    try {
      registry = EmbeddedRegistry.start(s, EmbeddedRegistry.defaultDist(registryDist), work.resolve("registry"),
          work.resolve("logs").resolve("registry.log"));
      broker.awaitReady(timeout);
      registry.awaitReady(timeout);
    } catch (RuntimeException | InterruptedException e) {
      if (registry != null) {
        registry.close();
      }
      broker.close();
      throw e;
    }
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    LOG.info("embedded broker at {} and registry at {} ready in {} ms", broker.bootstrapServers(), registry.root(),
        took.toMillis());
    return new EmbeddedRuntime(broker, registry, took);
  }

  /**
   * The clients' {@code KAFKA_…} security settings must fit the listener the embedded broker will open, or every
   * client would hang until its timeout; say so before anything starts.
   */
  static void requireClientsMatchTheListener(EmbeddedSettings settings, Map<String, String> client) {
    String protocol = client.getOrDefault("security.protocol", "PLAINTEXT").toUpperCase(Locale.ROOT);
    if (settings.sasl().isPresent()) {
      boolean scram = EmbeddedBroker.SASL_MECHANISM.equalsIgnoreCase(client.getOrDefault("sasl.mechanism", ""));
      if (!protocol.equals("SASL_PLAINTEXT") || !scram || !client.containsKey("sasl.jaas.config")) {
        throw new ConfigException(EmbeddedSettings.SASL_USER + " is set, so the embedded broker accepts only "
            + "SASL_PLAINTEXT with " + EmbeddedBroker.SASL_MECHANISM + ": set KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT, "
            + "KAFKA_SASL_MECHANISM=" + EmbeddedBroker.SASL_MECHANISM + " and KAFKA_SASL_JAAS_CONFIG='"
            + "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"<user>\" "
            + "password=\"<password>\";'");
      }
    } else if (!protocol.equals("PLAINTEXT")) {
      throw new ConfigException("KAFKA_SECURITY_PROTOCOL is " + protocol + ", but the embedded broker listens with "
          + "PLAINTEXT: set " + EmbeddedSettings.SASL_USER + " and " + EmbeddedSettings.SASL_PASSWORD
          + " for a SASL_PLAINTEXT listener, or unset KAFKA_SECURITY_PROTOCOL");
    }
  }

  public String bootstrapServers() {
    return broker.bootstrapServers();
  }

  public EmbeddedBroker broker() {
    return broker;
  }

  public EmbeddedRegistry registry() {
    return registry;
  }

  public Duration startupTime() {
    return startupSeconds;
  }

  /** Registry first (it holds no Kafka state), then the broker. */
  @Override
  public void close() {
    registry.close();
    broker.close();
  }
}
