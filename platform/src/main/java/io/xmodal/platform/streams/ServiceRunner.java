package io.xmodal.platform.streams;

import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.serde.RegistryAvroSerdes;
import io.xmodal.platform.topics.TopicAdmin;
import io.xmodal.platform.topics.TopicCatalogue;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What a deployable's {@code main} does once it has its topology and properties: run until the JVM is stopped. */
public final class ServiceRunner {

  private static final Logger LOG = LoggerFactory.getLogger(ServiceRunner.class);

  private ServiceRunner() {}

  /**
   * The topic catalogue of a service started on its own: serdes on the configured registry, and the topics created
   * unless {@code XMODAL_CREATE_TOPICS=false} (when an operator manages them).
   */
  public static TopicCatalogue topics(ConfigSource source, PlatformConfig platform) {
    TopicCatalogue topics = TopicCatalogue.create(platform.topics(), RegistryAvroSerdes.of(platform));
    if (source.bool("XMODAL_CREATE_TOPICS", true)) {
      TopicAdmin.ensureTopics(platform.clientConfig(), topics, Duration.ofSeconds(60));
    }
    return topics;
  }

  /** Starts the topology, waits for RUNNING, then blocks until SIGTERM/Ctrl-C, when it closes cleanly. */
  public static void runUntilShutdown(String name, Topology topology, Properties properties, Duration startTimeout)
      throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    StreamsService service = StreamsService.start(name, topology, properties);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      service.close(Duration.ofSeconds(30));
      stopped.countDown();
    }, name + "-shutdown"));
    service.awaitRunning(startTimeout);
    LOG.info("{} is running (application.id {}); stop it with Ctrl-C or SIGTERM", name,
        properties.getProperty("application.id"));
    stopped.await();
  }
}
