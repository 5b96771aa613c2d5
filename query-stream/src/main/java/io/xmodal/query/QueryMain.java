package io.xmodal.query;

import io.xmodal.encoders.Encoders;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.streams.ServiceRunner;
import io.xmodal.platform.topics.TopicCatalogue;
import java.time.Duration;

/** query-stream on its own against a running cluster. */
public final class QueryMain {

  private QueryMain() {}

  public static void main(String[] args) throws InterruptedException {
    ConfigSource source = ConfigSource.fromEnvironment();
    PlatformConfig platform = PlatformConfig.from(source);
    QueryConfig config = QueryConfig.from(source, platform);
    TopicCatalogue topics = ServiceRunner.topics(source, platform);
    try (Encoders encoders = Encoders.load(config.encoders())) {
      ServiceRunner.runUntilShutdown("query-stream", QueryTopology.buildTopology(config, topics, encoders),
          config.streamsProperties(platform, topics), Duration.ofMinutes(2));
    }
  }
}
