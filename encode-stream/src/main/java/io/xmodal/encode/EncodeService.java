package io.xmodal.encode;

import io.xmodal.encoders.Encoders;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.service.ServiceAssembly;
import io.xmodal.platform.service.ServiceDefinition;
import io.xmodal.platform.service.SharedResources;
import io.xmodal.platform.topics.TopicCatalogue;

/** encode-stream, defined once: it holds the encoders (shared with query-stream in one JVM) while it runs. */
public final class EncodeService implements ServiceDefinition<EncodeConfig> {

  @Override
  public String name() {
    return "encode-stream";
  }

  @Override
  public EncodeConfig config(ConfigSource source, PlatformConfig platform) {
    return EncodeConfig.from(source, platform);
  }

  @Override
  public ServiceAssembly assemble(EncodeConfig config, PlatformConfig platform, TopicCatalogue topics,
                                  SharedResources shared) {
    SharedResources.Handle<Encoders> encoders = shared.acquire(config.encoders(),
        () -> Encoders.load(config.encoders()));
    return new ServiceAssembly(name(), EncodeTopology.buildTopology(config, topics, encoders.get()),
        config.streamsProperties(platform, topics), encoders);
  }
}
