package io.xmodal.ingest;

import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.service.ServiceAssembly;
import io.xmodal.platform.service.ServiceDefinition;
import io.xmodal.platform.service.SharedResources;
import io.xmodal.platform.streams.StreamsSettings;
import io.xmodal.platform.topics.TopicCatalogue;
import java.util.Map;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;

/** The ingest service, defined once (its main, the one-JVM stack and a cluster start it from here). */
public final class IngestService implements ServiceDefinition<IngestConfig> {

  @Override
  public String name() {
    return "ingest";
  }

  @Override
  public IngestConfig config(ConfigSource source, PlatformConfig platform) {
    return IngestConfig.from(source, platform);
  }

  @Override
  public ServiceAssembly assemble(IngestConfig config, PlatformConfig platform, TopicCatalogue topics,
                                  SharedResources shared) {
    return ServiceAssembly.of(name(), IngestTopology.buildTopology(config, topics),
        StreamsSettings.properties(platform, config.applicationId(), topics, config.dlqPayloadCap(),
            serviceDefaults(platform)));
  }

  /** The repartition by id carries validated images: its topic takes messages as large as the raw topics do. */
  static Map<String, Object> serviceDefaults(PlatformConfig platform) {
    return Map.of(StreamsConfig.topicPrefix(TopicConfig.MAX_MESSAGE_BYTES_CONFIG),
        Integer.toString(platform.topics().maxMessageBytes()));
  }
}
