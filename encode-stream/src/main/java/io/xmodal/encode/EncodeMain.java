package io.xmodal.encode;

import io.xmodal.encoders.Encoders;

import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.streams.ServiceRunner;
import io.xmodal.platform.topics.TopicCatalogue;
import java.time.Duration;

/** encode-stream on its own against a running cluster ({@code KAFKA_BOOTSTRAP_SERVERS}, {@code XMODAL_REGISTRY_URL}). */
public final class EncodeMain {

  private EncodeMain() {}

  public static void main(String[] args) throws InterruptedException {
    ConfigSource source = ConfigSource.fromEnvironment();
    PlatformConfig platform = PlatformConfig.from(source);
    EncodeConfig config = EncodeConfig.from(source, platform);
    TopicCatalogue topics = ServiceRunner.topics(source, platform);
    try (Encoders encoders = Encoders.load(config.encoders())) {
      ServiceRunner.runUntilShutdown("encode-stream", EncodeTopology.buildTopology(config, topics, encoders),
          config.streamsProperties(platform, topics),
          Duration.ofMinutes(2));
    }
  }
}
