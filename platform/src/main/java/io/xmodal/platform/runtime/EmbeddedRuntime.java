package io.xmodal.platform.runtime;

import io.xmodal.platform.config.EmbeddedSettings;
import io.xmodal.platform.config.PlatformConfig;
import java.nio.file.Path;
import java.time.Duration;
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
