package io.xmodal.query;

import io.xmodal.encoders.Encoders;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.service.ServiceAssembly;
import io.xmodal.platform.service.ServiceDefinition;
import io.xmodal.platform.service.SharedResources;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.query.replicated.QueryTopology;
import io.xmodal.query.sharded.ShardedQueryTopology;

/** query-stream, defined once: it holds the encoders (shared with encode-stream in one JVM) while it runs. */
public final class QueryService implements ServiceDefinition<QueryConfig> {

  @Override
  public String name() {
    return "query-stream";
  }

  @Override
  public QueryConfig config(ConfigSource source, PlatformConfig platform) {
    return QueryConfig.from(source, platform);
  }

  @Override
  public ServiceAssembly assemble(QueryConfig config, PlatformConfig platform, TopicCatalogue topics,
                                  SharedResources shared) {
    SharedResources.Handle<Encoders> encoders = shared.acquire(config.encoders(),
        () -> Encoders.load(config.encoders()));
    var topology = config.mode() == QueryMode.SHARDED
        ? ShardedQueryTopology.buildTopology(config, topics, encoders.get())
        : QueryTopology.buildTopology(config, topics, encoders.get());
    return new ServiceAssembly(name(), topology,
        config.streamsProperties(platform, topics), encoders);
  }
}
