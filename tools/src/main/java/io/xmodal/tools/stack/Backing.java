package io.xmodal.tools.stack;

import io.xmodal.embedded.EmbeddedRuntime;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import java.time.Duration;
import java.util.Optional;

/**
 * What a stack runs on: the cluster {@code KAFKA_BOOTSTRAP_SERVERS} names, or, where it is unset, the embedded broker
 * nodes and registry it starts (their endpoints written for the other commands, {@link Endpoints}).
 *
 * @param runtime the embedded runtime it started; empty on a configured cluster
 * @param config  the settings, pointed at the runtime where there is one
 */
record Backing(Optional<EmbeddedRuntime> runtime, PlatformConfig config) {

  /** Starts the embedded runtime of {@code brokers} nodes unless a cluster is configured (then a registry must be). */
  static Backing start(ConfigSource source, int brokers) throws InterruptedException {
    PlatformConfig config = PlatformConfig.from(source);
    if (!config.bootstrapServers().isEmpty()) {
      config.requireRegistryUrl();
      return new Backing(Optional.empty(), config);
    }
    EmbeddedRuntime r = EmbeddedRuntime.start(config, source.get("XMODAL_REGISTRY_DIST"), Duration.ofMinutes(2),
        brokers);
    PlatformConfig live = config.withEndpoints(r.bootstrapServers(), r.registry().apiUrl());
    new Endpoints(r.bootstrapServers(), r.registry().apiUrl()).write(live);
    return new Backing(Optional.of(r), live);
  }

  /** Stops the embedded runtime, if it started one, and forgets its endpoints. */
  void close() {
    runtime.ifPresent(r -> {
      r.close();
      Endpoints.delete(config);
    });
  }
}
