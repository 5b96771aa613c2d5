package io.xmodal.query;

import io.xmodal.encoders.EncoderSettings;
import io.xmodal.platform.config.ConfigException;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.streams.RejectionFactory;
import io.xmodal.platform.streams.StreamsSettings;
import io.xmodal.platform.topics.TopicCatalogue;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Settings of query-stream.
 *
 * @param applicationId   {@code XMODAL_QUERY_APPLICATION_ID}, default {@code xmodal-query}
 * @param batchSize       {@code XMODAL_QUERY_BATCH_SIZE}: answer when this many queries wait, default 16
 * @param maxWait         {@code XMODAL_QUERY_MAX_WAIT}: or when the oldest has waited this long, default 20ms
 * @param maxK            largest k a query may ask for ({@code XMODAL_QUERY_MAX_K}, default 100)
 * @param encoders        the same encoders as encode-stream (a query is encoded like the gallery was)
 * @param dlqPayloadCap   bytes of a refused query kept in its dead letter
 * @param metricsInterval {@code XMODAL_METRICS_INTERVAL}: the window of QPS, latency percentiles and online recall
 */
public record QueryConfig(String applicationId, int batchSize, Duration maxWait, int maxK, EncoderSettings encoders,
                          int dlqPayloadCap, Duration metricsInterval) {

  public static QueryConfig from(ConfigSource source, PlatformConfig platform) {
    EncoderSettings encoders;
    try {
      encoders = EncoderSettings.from(source::get, platform.sharedDir(), platform.workDir());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
    return new QueryConfig(
        source.string("XMODAL_QUERY_APPLICATION_ID", "xmodal-query"),
        source.positiveInt("XMODAL_QUERY_BATCH_SIZE", 16),
        source.duration("XMODAL_QUERY_MAX_WAIT", Duration.ofMillis(20)),
        source.positiveInt("XMODAL_QUERY_MAX_K", 100),
        encoders,
        source.positiveInt("XMODAL_DLQ_PAYLOAD_CAP", RejectionFactory.DEFAULT_PAYLOAD_CAP),
        platform.metricsInterval());
  }

  /** The platform's streams properties, polling often enough for the short batching wait. */
  public Properties streamsProperties(PlatformConfig platform, TopicCatalogue topics) {
    return StreamsSettings.properties(platform, applicationId, topics, dlqPayloadCap,
        Map.of(StreamsConfig.POLL_MS_CONFIG, Math.max(5, maxWait.toMillis() / 2)));
  }

}
