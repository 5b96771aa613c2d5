package io.xmodal.query;

import io.xmodal.encoders.EncoderSettings;
import io.xmodal.platform.config.ConfigException;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.streams.RejectionFactory;
import io.xmodal.platform.streams.StreamsSettings;
import io.xmodal.platform.topics.TopicCatalogue;
import java.time.Duration;
import java.util.HashMap;
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
 * @param maxTextChars    {@code XMODAL_QUERY_MAX_TEXT_CHARS}: the longest query text, in Unicode code points, default
 *                        1000 (as a caption's); a longer one is refused before it is encoded (a 2 MB text slowed
 *                        its whole batch fourfold)
 * @param encoders        the same encoders as encode-stream (a query is encoded like the gallery was)
 * @param dlqPayloadCap   bytes of a refused query kept in its dead letter
 * @param metricsInterval {@code XMODAL_METRICS_INTERVAL}: the window of QPS, latency percentiles and online recall
 * @param mode            {@code XMODAL_QUERY_MODE}: replicated (default) or sharded galleries
 * @param gatherTimeout   {@code XMODAL_QUERY_GATHER_TIMEOUT} (sharded): how long the gather waits for every partition
 *                        before it answers with those it has, marked partial; default 30s (longer than a failover:
 *                        the 15 s session timeout, a rebalance and a standby's catch-up)
 * @param standbyReplicas {@code XMODAL_QUERY_STANDBY_REPLICAS} (sharded): standby copies of each gallery partition on
 *                        other instances, default 1
 * @param prepareWait     {@code XMODAL_QUERY_PREPARE_WAIT}: how long a query batch waits for a new mapping version's
 *                        gallery to be projected (on the instance's projection thread) before it is answered with the
 *                        version before (replicated) or held back until the new one is ready; default 2s, at most 5s
 *                        (the stream thread's transaction must end within Streams' 10 s)
 * @param idleRelease     {@code XMODAL_QUERY_IDLE_RELEASE}: a task's text or image session closes after this long
 *                        without a query of its kind, and the models are released once no session in the JVM uses
 *                        them; the next query of that kind loads them again (seconds, once). Default 5m; 0 keeps them
 *                        loaded, for steady latency
 */
public record QueryConfig(String applicationId, int batchSize, Duration maxWait, int maxK, int maxTextChars,
                          EncoderSettings encoders,
                          int dlqPayloadCap, Duration metricsInterval, QueryMode mode, Duration gatherTimeout,
                          int standbyReplicas, Duration prepareWait, Duration idleRelease) {

  /** The longest {@code XMODAL_QUERY_PREPARE_WAIT}: half of the 10 s a query-stream transaction may stay open. */
  static final Duration MAX_PREPARE_WAIT = Duration.ofSeconds(5);

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
        source.positiveInt("XMODAL_QUERY_MAX_TEXT_CHARS", 1000),
        encoders,
        source.positiveInt("XMODAL_DLQ_PAYLOAD_CAP", RejectionFactory.DEFAULT_PAYLOAD_CAP),
        platform.metricsInterval(),
        source.enumValue("XMODAL_QUERY_MODE", QueryMode.class, QueryMode.REPLICATED),
        source.duration("XMODAL_QUERY_GATHER_TIMEOUT", Duration.ofSeconds(30)),
        standbys(source.integer("XMODAL_QUERY_STANDBY_REPLICAS", 1)),
        prepareWait(source.duration("XMODAL_QUERY_PREPARE_WAIT", Duration.ofSeconds(2))),
        source.duration("XMODAL_QUERY_IDLE_RELEASE", Duration.ofMinutes(5)));
  }

  private static Duration prepareWait(Duration d) {
    if (d.isNegative() || d.compareTo(MAX_PREPARE_WAIT) > 0) {
      throw new ConfigException("XMODAL_QUERY_PREPARE_WAIT must be between 0 and " + MAX_PREPARE_WAIT.toSeconds()
          + "s (a query batch waits that long inside a transaction that must end within 10 s; a longer projection "
          + "goes on in the background meanwhile), got " + d.toMillis() + "ms");
    }
    return d;
  }

  private static int standbys(int n) {
    if (n < 0) {
      throw new ConfigException("XMODAL_QUERY_STANDBY_REPLICAS must be 0 or more, got " + n);
    }
    return n;
  }

  /** The same settings in another mode (tests, the benchmark). */
  public QueryConfig withMode(QueryMode m, Duration timeout) {
    return new QueryConfig(applicationId, batchSize, maxWait, maxK, maxTextChars, encoders, dlqPayloadCap,
        metricsInterval, m, timeout, standbyReplicas, prepareWait, idleRelease);
  }

  /**
   * The platform's streams properties, polling often enough for the short batching wait; sharded, with standby copies
   * of the gallery partitions ({@code KAFKA_NUM_STANDBY_REPLICAS} still wins).
   */
  public Properties streamsProperties(PlatformConfig platform, TopicCatalogue topics) {
    Map<String, Object> defaults = new HashMap<>();
    defaults.put(StreamsConfig.POLL_MS_CONFIG, Math.max(5, maxWait.toMillis() / 2));
    if (mode == QueryMode.SHARDED) {
      defaults.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, standbyReplicas);
    }
    return StreamsSettings.properties(platform, applicationId, topics, dlqPayloadCap, defaults);
  }

}
