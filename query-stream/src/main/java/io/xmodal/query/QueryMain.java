package io.xmodal.query;

import io.xmodal.encoders.Encoders;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.serde.RegistryAvroSerdes;
import io.xmodal.platform.streams.ServiceRunner;
import io.xmodal.platform.topics.TopicAdmin;
import io.xmodal.platform.topics.TopicCatalogue;
import java.time.Duration;

/** query-stream on its own against a running cluster. */
public final class QueryMain {

  private QueryMain() {}

  public static void main(String[] args) throws InterruptedException {
    ConfigSource source = ConfigSource.fromEnvironment();
    PlatformConfig platform = PlatformConfig.from(source);
    QueryConfig config = QueryConfig.from(source, platform);
    TopicCatalogue topics = TopicCatalogue.create(platform.topics(), new RegistryAvroSerdes(platform.requireRegistryUrl()));
    if (source.bool("XMODAL_CREATE_TOPICS", true)) {
      TopicAdmin.ensureTopics(platform.clientConfig(), topics, Duration.ofSeconds(60));
    }
    try (Encoders encoders = Encoders.load(config.encoders())) {
      ServiceRunner.runUntilShutdown("query-stream", QueryTopology.buildTopology(config, topics, encoders),
          config.streamsProperties(platform, topics), Duration.ofMinutes(2));
    }
  }
}
