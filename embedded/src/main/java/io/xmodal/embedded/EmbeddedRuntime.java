package io.xmodal.embedded;

import io.xmodal.platform.config.ConfigException;
import io.xmodal.platform.config.EmbeddedSettings;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.process.Ports;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default: a KRaft broker (or an {@link EmbeddedCluster} of several) and an Apicurio registry started
 * side by side in child JVMs, with data under the work directory ({@code kafka/}, {@code registry/}) and logs under
 * {@code logs/}. A second start on the same work directory resumes on the same data.
 */
public final class EmbeddedRuntime implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedRuntime.class);

  private final EmbeddedCluster cluster;
  private final EmbeddedRegistry registry;
  private final Duration startupSeconds;

  private EmbeddedRuntime(EmbeddedCluster cluster, EmbeddedRegistry registry, Duration startup) {
    this.cluster = cluster;
    this.registry = registry;
    this.startupSeconds = startup;
  }

  /** A single broker and the registry: {@link #start(PlatformConfig, Optional, Duration, int)} with one node. */
  public static EmbeddedRuntime start(PlatformConfig config, Optional<String> registryDist, Duration timeout)
      throws InterruptedException {
    return start(config, registryDist, timeout, 1);
  }

  /**
   * Checks the ports, starts a cluster of {@code brokers} nodes ({@link EmbeddedCluster#layout}) and the registry,
   * waits until all serve. Stops what it started if anything fails.
   */
  public static EmbeddedRuntime start(PlatformConfig config, Optional<String> registryDist, Duration timeout,
                                      int brokers) throws InterruptedException {
    EmbeddedSettings s = config.embedded();
    requireClientsMatchTheListener(s, config.kafkaClient());
    Path work = config.workDir();
    List<EmbeddedBroker.Node> nodes = EmbeddedCluster.layout(s, brokers, work.resolve("kafka"), work.resolve("logs"));
    EmbeddedCluster.requirePortsFree(s, nodes);
    Ports.requireFree(s.bindHost(), s.registryPort(), "schema registry", EmbeddedSettings.REGISTRY_PORT);
    long t0 = System.nanoTime();
    EmbeddedCluster cluster = EmbeddedCluster.start(s, nodes, config.topics().maxMessageBytes());
    EmbeddedRegistry registry = null;
    try {
      registry = EmbeddedRegistry.start(s, EmbeddedRegistry.defaultDist(registryDist), work.resolve("registry"),
          work.resolve("logs").resolve("registry.log"));
      cluster.awaitReady(timeout);
      registry.awaitReady(timeout);
    } catch (RuntimeException | InterruptedException e) {
      if (registry != null) {
        registry.close();
      }
      cluster.close();
      throw e;
    }
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    LOG.info("embedded {} at {} and registry at {} ready in {} ms",
        brokers == 1 ? "broker" : brokers + "-node cluster", cluster.bootstrapServers(), registry.root(),
        took.toMillis());
    return new EmbeddedRuntime(cluster, registry, took);
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

  /** Every node's client listener. */
  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  /** Node 1: the broker of a single-node runtime. */
  public EmbeddedBroker broker() {
    return cluster.node(1);
  }

  public EmbeddedCluster cluster() {
    return cluster;
  }

  public EmbeddedRegistry registry() {
    return registry;
  }

  public Duration startupTime() {
    return startupSeconds;
  }

  /** Registry first (it holds no Kafka state), then the brokers. */
  @Override
  public void close() {
    registry.close();
    cluster.close();
  }
}
