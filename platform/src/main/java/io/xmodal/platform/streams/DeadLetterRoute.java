package io.xmodal.platform.streams;

import io.xmodal.platform.logging.LogLimiter;
import io.xmodal.schemas.Rejection;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Where and how a service's error handlers write dead letters: the topic, the serializer of its records, the factory
 * that builds them (service name, payload cap), the service's log limiter and the registry URL to name in outage
 * messages. Kafka Streams builds its handlers from class names and hands them only the streams config, so this one
 * typed value travels there under {@link #CONFIG}; nothing else of the service's does.
 */
public record DeadLetterRoute(String topic, Serializer<Rejection> serializer, RejectionFactory factory,
                              LogLimiter limiter, Optional<String> registryUrl) {

  /** The streams-config key the route travels under. */
  public static final String CONFIG = "xmodal.dead-letter.route";

  public DeadLetterRoute {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(serializer, "serializer");
    Objects.requireNonNull(factory, "factory");
    Objects.requireNonNull(limiter, "limiter");
    Objects.requireNonNull(registryUrl, "registryUrl");
  }

  /** The route in a streams config, as {@link StreamsSettings} puts it there. */
  public static DeadLetterRoute of(Map<String, ?> configs) {
    if (configs.get(CONFIG) instanceof DeadLetterRoute route) {
      return route;
    }
    throw new IllegalStateException("the streams config has no " + CONFIG + "; build the service's properties with "
        + "StreamsSettings, which routes its dead letters");
  }
}
