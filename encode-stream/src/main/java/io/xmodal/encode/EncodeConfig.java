package io.xmodal.encode;

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
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;


/**
 * Settings of encode-stream.
 *
 * @param applicationId   {@code XMODAL_ENCODE_APPLICATION_ID}, default {@code xmodal-encode}
 * @param batchSize       {@code XMODAL_ENCODE_BATCH_SIZE}: encode an image batch when this many images wait, default
 *                        32; set, it is the captions' batch too unless {@code XMODAL_ENCODE_TEXT_BATCH_SIZE} is
 * @param textBatchSize   {@code XMODAL_ENCODE_TEXT_BATCH_SIZE}: encode a caption batch when this many captions wait,
 *                        default 128 (or {@code XMODAL_ENCODE_BATCH_SIZE} where that is set): a batch's captions run
 *                        sorted by length in calls of 8 padded to their longest, and the more a batch holds, the
 *                        less the calls pad (Flickr8k: 15% more tokens than the captions hold at 32, 5% at 128;
 *                        encode-stream's captions 67.5/s at 32, 80.0/s at 128 on 2 cores, docs/performance.md). Images
 *                        stay at 32: a batch of 128 held 0.5 GB more memory for 4% more images/s
 * @param maxWait         {@code XMODAL_ENCODE_MAX_WAIT}: or when the oldest has waited this long, default 200ms
 * @param encoders        which models, on which device (see {@link EncoderSettings})
 * @param dlqPayloadCap   bytes of a refused record kept in its dead letter
 * @param metricsInterval how often throughput metrics are published
 * @param commitInterval  {@code XMODAL_ENCODE_COMMIT_INTERVAL}: how often encode-stream commits its transaction,
 *                        default 1s (exactly-once commits cost a flush and two broker round trips; at the default
 *                        100 ms they took a sixth of the throughput on 2 cores)
 * @param decodeThreads   {@code XMODAL_ENCODE_DECODE_THREADS}: threads that decode and resize images while the stream
 *                        thread encodes, shared by the instance's tasks; default one per core but one (at least 1);
 *                        0 decodes on the stream thread
 * @param streamThreads   {@code XMODAL_ENCODE_STREAM_THREADS}: stream threads of an instance, each encoding its own
 *                        tasks' batches; default 1: a batch's model calls already run on every core
 *                        ({@code XMODAL_ENCODE_CALLS}), which measured faster on 2 cores than two stream threads of one
 *                        core each, whose tasks (three partitions) do not split evenly (docs/performance.md);
 *                        {@code KAFKA_NUM_STREAM_THREADS} still wins
 * @param idleRelease     {@code XMODAL_ENCODE_IDLE_RELEASE}: a task's encoder session closes after this long without a
 *                        batch, and the models are released once no session (encode-stream's or query-stream's in
 *                        the same JVM) uses them; the next batch loads them again (seconds). Default 10s: a refit
 *                        that follows the encoding (the demo's, or a trainer beside it in one JVM) then runs without
 *                        the encoders' memory, which it would otherwise share the peak with; 0 keeps them loaded
 */
public record EncodeConfig(String applicationId, int batchSize, int textBatchSize, Duration maxWait, EncoderSettings encoders,
                           int dlqPayloadCap, Duration metricsInterval, Duration commitInterval, int decodeThreads,
                           int streamThreads, Duration idleRelease) {

  public EncodeConfig {
    if (decodeThreads < 0) {
      throw new ConfigException("XMODAL_ENCODE_DECODE_THREADS must be 0 or more, got " + decodeThreads);
    }
    if (streamThreads < 1) {
      throw new ConfigException("XMODAL_ENCODE_STREAM_THREADS must be at least 1, got " + streamThreads);
    }
  }

  /** The same settings under another application id (the benchmark runs each phase under its own). */
  public EncodeConfig withApplicationId(String id) {
    return new EncodeConfig(id, batchSize, textBatchSize, maxWait, encoders, dlqPayloadCap, metricsInterval, commitInterval,
        decodeThreads, streamThreads, idleRelease);
  }

  /** The same settings with {@code n} stream threads (the benchmark's one-core phase). */
  public EncodeConfig withStreamThreads(int n) {
    return new EncodeConfig(applicationId, batchSize, textBatchSize, maxWait, encoders, dlqPayloadCap, metricsInterval,
        commitInterval, decodeThreads, n, idleRelease);
  }

  public static EncodeConfig from(ConfigSource source, PlatformConfig platform) {
    EncoderSettings encoders;
    try {
      encoders = EncoderSettings.from(source::get, platform.sharedDir(), platform.workDir());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
    return new EncodeConfig(
        source.string("XMODAL_ENCODE_APPLICATION_ID", "xmodal-encode"),
        source.positiveInt("XMODAL_ENCODE_BATCH_SIZE", 32),
        source.positiveInt("XMODAL_ENCODE_TEXT_BATCH_SIZE", source.get("XMODAL_ENCODE_BATCH_SIZE").isPresent()
            ? source.positiveInt("XMODAL_ENCODE_BATCH_SIZE", 32) : 128),
        source.duration("XMODAL_ENCODE_MAX_WAIT", Duration.ofMillis(200)),
        encoders,
        source.positiveInt("XMODAL_DLQ_PAYLOAD_CAP", RejectionFactory.DEFAULT_PAYLOAD_CAP),
        platform.metricsInterval(),
        source.duration("XMODAL_ENCODE_COMMIT_INTERVAL", Duration.ofSeconds(1)),
        source.integer("XMODAL_ENCODE_DECODE_THREADS", PreparePool.defaultThreads()),
        source.positiveInt("XMODAL_ENCODE_STREAM_THREADS", 1),
        source.duration("XMODAL_ENCODE_IDLE_RELEASE", Duration.ofSeconds(10)));
  }

  /**
   * The streams properties of encode-stream: the platform's, with its own commit interval and the transaction
   * timeout of a service that runs models ({@link StreamsSettings#MODEL_TRANSACTION_TIMEOUT}; KAFKA_* still wins).
   */
  public Properties streamsProperties(PlatformConfig platform, TopicCatalogue topics) {
    return StreamsSettings.properties(platform, applicationId, topics, dlqPayloadCap,
        Map.of(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitInterval.toMillis(),
            ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) StreamsSettings.MODEL_TRANSACTION_TIMEOUT.toMillis(),
            StreamsConfig.NUM_STREAM_THREADS_CONFIG, streamThreads));
  }
}
