package io.xmodal.platform.service;

import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.topics.TopicCatalogue;

/**
 * A deployable, defined once: its name, its typed config, and how it is assembled — the topology, the streams
 * properties, and the resources it opens and must close. Its {@code *Main} ({@link ServiceLauncher#runAlone}), the
 * one-JVM stack and a multi-process cluster all start it from here, so nothing about a service is wired twice.
 *
 * @param <C> its typed config record
 */
public interface ServiceDefinition<C> {

  /** The name in logs, state reports and {@code xmodal service NAME}. */
  String name();

  /** Its settings, read from {@code XMODAL_*} (a {@link io.xmodal.platform.config.ConfigException} if invalid). */
  C config(ConfigSource source, PlatformConfig platform);

  /**
   * Opens what it needs and assembles it. Resources several services in one process can share (the models) come
   * from {@code shared}; the returned assembly closes what it opened.
   */
  ServiceAssembly assemble(C config, PlatformConfig platform, TopicCatalogue topics, SharedResources shared);

  /** {@link #config} then {@link #assemble}. */
  default ServiceAssembly assemble(ConfigSource source, PlatformConfig platform, TopicCatalogue topics,
                                   SharedResources shared) {
    return assemble(config(source, platform), platform, topics, shared);
  }
}
