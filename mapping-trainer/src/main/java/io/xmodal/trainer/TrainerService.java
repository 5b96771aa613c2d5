package io.xmodal.trainer;

import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.service.ServiceAssembly;
import io.xmodal.platform.service.ServiceDefinition;
import io.xmodal.platform.service.SharedResources;
import io.xmodal.platform.streams.StreamsSettings;
import io.xmodal.platform.topics.TopicCatalogue;

/** mapping-trainer, defined once; each fit task owns its fit thread. */
public final class TrainerService implements ServiceDefinition<TrainerConfig> {

  @Override
  public String name() {
    return "mapping-trainer";
  }

  @Override
  public TrainerConfig config(ConfigSource source, PlatformConfig platform) {
    return TrainerConfig.from(source, platform);
  }

  @Override
  public ServiceAssembly assemble(TrainerConfig config, PlatformConfig platform, TopicCatalogue topics,
                                  SharedResources shared) {
    return ServiceAssembly.of(name(), TrainerTopology.buildTopology(config, topics, FitExecutors::create),
        StreamsSettings.properties(platform, config.applicationId(), topics, config.dlqPayloadCap()));
  }
}
