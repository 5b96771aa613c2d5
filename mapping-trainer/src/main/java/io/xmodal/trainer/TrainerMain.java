package io.xmodal.trainer;

import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.streams.ServiceRunner;
import io.xmodal.platform.streams.StreamsSettings;
import io.xmodal.platform.topics.TopicCatalogue;
import java.time.Duration;

/** mapping-trainer on its own against a running cluster. */
public final class TrainerMain {

  private TrainerMain() {}

  public static void main(String[] args) throws InterruptedException {
    ConfigSource source = ConfigSource.fromEnvironment();
    PlatformConfig platform = PlatformConfig.from(source);
    TrainerConfig config = TrainerConfig.from(source, platform);
    TopicCatalogue topics = ServiceRunner.topics(source, platform);
    ServiceRunner.runUntilShutdown("mapping-trainer", TrainerTopology.buildTopology(config, topics, FitExecutors::create),
        StreamsSettings.properties(platform, config.applicationId(), topics, config.dlqPayloadCap()),
        Duration.ofMinutes(2));
  }
}
