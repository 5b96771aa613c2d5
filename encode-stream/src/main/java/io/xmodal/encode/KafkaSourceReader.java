package io.xmodal.encode;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Reads records of one source partition back by offset, for {@link OffsetBatch} after a restore: a consumer of its
 * own (no group, read_committed, the streams instance's connection and security settings) that seeks to the lowest
 * wanted offset and reads until the highest or the end of the partition. Opened for one read and closed after it.
 */
final class KafkaSourceReader<V> implements OffsetBatch.SourceReader<V> {

  private static final Duration POLL = Duration.ofMillis(500);
  private static final Duration READ_TIMEOUT = Duration.ofMinutes(2);

  private final Map<String, Object> streamsConfigs;
  private final TopicPartition partition;
  private final Deserializer<V> values;

  KafkaSourceReader(Map<String, Object> streamsConfigs, TopicPartition partition, Deserializer<V> values) {
    this.streamsConfigs = streamsConfigs;
    this.partition = partition;
    this.values = values;
  }

  @Override
  public Map<Long, KeyValue<String, V>> read(List<Long> offsets) {
    Set<Long> wanted = new HashSet<>(offsets);
    long first = offsets.stream().mapToLong(Long::longValue).min().orElseThrow();
    long last = offsets.stream().mapToLong(Long::longValue).max().orElseThrow();
    Map<String, Object> props = new HashMap<>(new StreamsConfig(streamsConfigs)
        .getRestoreConsumerConfigs("encode-read-back-" + partition));
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    Map<Long, KeyValue<String, V>> found = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      consumer.assign(List.of(partition));
      consumer.seek(partition, first);
      long end = consumer.endOffsets(List.of(partition)).get(partition);
      long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
      while (consumer.position(partition) <= last && consumer.position(partition) < end) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("reading back " + offsets.size() + " buffered records of " + partition
              + " took longer than " + READ_TIMEOUT.toSeconds() + " s");
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
          if (wanted.contains(r.offset()) && r.key() != null && r.value() != null) {
            found.put(r.offset(), KeyValue.pair(new String(r.key(), StandardCharsets.UTF_8),
                values.deserialize(r.topic(), r.headers(), r.value())));
          }
        }
      }
    }
    return found;
  }
}
