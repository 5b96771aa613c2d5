package io.xmodal.ingest;

import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.streams.ServiceRunner;
import io.xmodal.platform.streams.StreamsSettings;
import io.xmodal.platform.topics.TopicCatalogue;
import java.time.Duration;

/**
 * The ingest service on its own, against a running cluster: {@code KAFKA_BOOTSTRAP_SERVERS} and
 * {@code XMODAL_REGISTRY_URL} are required; {@code XMODAL_CREATE_TOPICS=false} skips topic creation.
 */
public final class IngestMain {

  private IngestMain() {}

  public static void main(String[] args) throws InterruptedException {
    ConfigSource source = ConfigSource.fromEnvironment();
    PlatformConfig platform = PlatformConfig.from(source);
    IngestConfig config = IngestConfig.from(source, platform);
    TopicCatalogue topics = ServiceRunner.topics(source, platform);
    ServiceRunner.runUntilShutdown("ingest", IngestTopology.buildTopology(config, topics),
        StreamsSettings.properties(platform, config.applicationId(), topics, config.dlqPayloadCap()),
        Duration.ofMinutes(2));
  }
}
