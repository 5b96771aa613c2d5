package io.xmodal.platform.topics;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * xmodal's partitioner for every topic keyed by an id (an image, caption or query id): murmur2 of the id's UTF-8 bytes,
 * made positive, modulo the partition count. It is what Java producers and Kafka Streams' sinks do by default, so the
 * topics xmodal writes (clean events, embeddings, its repartition topics) all put an id on the same partition number.
 *
 * <p>Producers do not all agree: librdkafka's default ({@code consistent_random}, used by the Python, Go, .NET and C
 * clients) is CRC32 of the key modulo the count, and sends about two keys in three elsewhere on a topic of three
 * partitions. Any state that is kept per id must therefore be keyed after a repartition through this partitioner, never
 * on the partition a producer chose (ingest's {@code <kind>-by-id} repartition topics).
 *
 * <p>A record without a key has no id to place: it is left to the producer's own choice (nothing keyed by id follows).
 */
public final class IdPartitioner<V> implements StreamPartitioner<String, V> {

  @Override
  public Optional<Set<Integer>> partitions(String topic, String key, V value, int numPartitions) {
    return key == null ? Optional.empty() : Optional.of(Set.of(partitionOf(key, numPartitions)));
  }

  /** The partition of {@code id} on a topic of {@code partitions} partitions. */
  public static int partitionOf(String id, int partitions) {
    return Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % partitions;
  }
}
