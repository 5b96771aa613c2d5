package io.xmodal.trainer;

import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.serde.RegistryAvroSerdes;
import io.xmodal.platform.streams.ServiceRunner;
import io.xmodal.platform.streams.StreamsSettings;
import io.xmodal.platform.topics.TopicAdmin;
import io.xmodal.platform.topics.TopicCatalogue;
import java.time.Duration;

/** mapping-trainer on its own against a running cluster. */
public final class TrainerMain {

  private TrainerMain() {}

  public static void main(String[] args) throws InterruptedException {
    ConfigSource source = ConfigSource.fromEnvironment();
    PlatformConfig platform = PlatformConfig.from(source);
    TrainerConfig config = TrainerConfig.from(source, platform);
    TopicCatalogue topics = TopicCatalogue.create(platform.topics(), new RegistryAvroSerdes(platform.requireRegistryUrl()));
    if (source.bool("XMODAL_CREATE_TOPICS", true)) {
      TopicAdmin.ensureTopics(platform.clientConfig(), topics, Duration.ofSeconds(60));
    }
    ServiceRunner.runUntilShutdown("mapping-trainer", TrainerTopology.buildTopology(config, topics, FitExecutors::create),
        StreamsSettings.properties(platform, config.applicationId(), topics, config.dlqPayloadCap()),
        Duration.ofMinutes(2));
  }
}
