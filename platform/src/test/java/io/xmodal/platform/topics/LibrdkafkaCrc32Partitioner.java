package io.xmodal.platform.topics;

import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.common.Cluster;

/**
 * librdkafka's default partitioner ({@code consistent_random}: the Python, Go, .NET and C/C++ clients' default) for a
 * Java producer, so a test can produce as those clients do: {@code rd_crc32(key, keylen) % partition_cnt}, where
 * {@code rd_crc32} is the standard CRC-32 (zlib's, as {@link CRC32}) and the modulo is unsigned (an
 * {@code uint32_t} by an {@code int32_t} count); an empty or null key goes to a random partition. Note that masking
 * the CRC to a positive int first ({@code Utils.toPositive(crc) % n}) is not the same: it moves every key whose CRC has
 * the high bit set.
 */
public final class LibrdkafkaCrc32Partitioner implements Partitioner {

  /** The partition librdkafka's {@code consistent} partitioner gives {@code key}. */
  public static int partitionOf(byte[] key, int partitions) {
    CRC32 crc = new CRC32();
    crc.update(key);
    return (int) (crc.getValue() % partitions);
  }

  @Override
  public int partition(String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes, Cluster cluster) {
    int partitions = cluster.partitionsForTopic(topic).size();
    if (keyBytes == null || keyBytes.length == 0) {
      return ThreadLocalRandom.current().nextInt(partitions);
    }
    return partitionOf(keyBytes, partitions);
  }

  @Override
  public void configure(Map<String, ?> configs) {}

  @Override
  public void close() {}
}
