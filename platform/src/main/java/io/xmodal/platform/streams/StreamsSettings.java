package io.xmodal.platform.streams;

import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.logging.LogLimiter;
import io.xmodal.platform.topics.TopicCatalogue;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;

/** The streams {@link Properties} of one xmodal service, kept apart from its topology. */
public final class StreamsSettings {

  private StreamsSettings() {}

  /**
   * How long a transaction of a service that runs models in batches (encode-stream) may stay open before the broker
   * aborts it, unless {@code KAFKA_TRANSACTION_TIMEOUT_MS} says otherwise. Kafka Streams' exactly-once default is
   * 10 s, and a transaction spans everything processed in one commit interval: on a CPU worker the first batches (the
   * models' first runs, the JIT, a mapping's first projection of the gallery, other services starting on the same
   * cores) took longer than that in the composite demo, the broker aborted the transaction, and the thread was fenced
   * and rejoined (nothing lost, an ERROR in the log and the work redone). The cost of a longer timeout: when an
   * instance dies for good, readers of its partitions wait up to this long for its open transaction to be aborted (a
   * restart with the same state folder fences it at once). query-stream keeps Streams' 10 s: its results are waited
   * for, and with 60 s a SIGKILLed instance held read_committed readers of its partials back past the gather timeout
   * (ShardedQueryEndToEndIT); a first query batch that outlasts 10 s costs a fenced thread and a redo instead.
   */
  public static final Duration MODEL_TRANSACTION_TIMEOUT = Duration.ofSeconds(60);

  /**
   * Exactly-once v2, explicit internal names required, dead-letter handlers, state under the work directory, RocksDB
   * in one memory budget per JVM ({@link BoundedRocksDbMemory});
   * every {@code KAFKA_…} variable applied last, so an operator can override any of it.
   */
  public static Properties properties(PlatformConfig config, String applicationId, TopicCatalogue topics,
                                      int dlqPayloadCap) {
    return properties(config, applicationId, topics, dlqPayloadCap, Map.of());
  }

  /**
   * As above, with a service's own defaults (e.g. encode-stream's commit interval) applied after the platform's and
   * before the {@code KAFKA_…} settings, which still win.
   */
  public static Properties properties(PlatformConfig config, String applicationId, TopicCatalogue topics,
                                      int dlqPayloadCap, Map<String, ?> serviceDefaults) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.requireBootstrap());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
    p.put(StreamsConfig.STATE_DIR_CONFIG, config.workDir().resolve("streams").toString());
    // changelogs and repartition topics replicated like the xmodal topics (3 on a three-node cluster, 1 on one node)
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) config.topics().replication());
    if (config.topics().replication() >= 3) {
      p.put(StreamsConfig.topicPrefix(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG), config.topics().minInsyncReplicas());
    }
    p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandlers.OnDeserialization.class);
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandlers.OnProcessing.class);
    p.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandlers.OnProduction.class);
    p.put("processing.exception.handler.global.enabled", true);
    p.put(DeadLetterRoute.CONFIG, new DeadLetterRoute(topics.rejected().name(), topics.rejected().valueSerde().serializer(),
        new RejectionFactory(applicationId, dlqPayloadCap), LogLimiter.standard(), config.registryUrl()));
    p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), config.topics().maxMessageBytes());
    p.put(StreamsConfig.producerPrefix(ProducerConfig.BUFFER_MEMORY_CONFIG), config.topics().producerBufferBytes());
    // a crashed instance's partitions move after 15 s instead of the default 45 s
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 15_000);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG),
        config.topics().maxMessageBytes());
    // every RocksDB store of this JVM in one block cache, memtables charged to it (XMODAL_ROCKSDB_MEMORY)
    p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbMemory.class);
    p.put(BoundedRocksDbMemory.BYTES_CONFIG, config.rocksDbMemory().bytes());
    p.putAll(serviceDefaults);
    p.putAll(config.kafkaClient());
    return p;
  }
}
