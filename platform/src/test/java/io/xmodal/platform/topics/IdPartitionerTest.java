package io.xmodal.platform.topics;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

class IdPartitionerTest {

  private static final int PARTITIONS = 3;

  @Test
  void shouldPlaceAnIdWhereJavaProducersAndKafkaStreamsSinksPlaceIt() {
    IdPartitioner<Object> partitioner = new IdPartitioner<>();

    for (int i = 0; i < 1000; i++) {
      String id = "image-" + i + ".jpg";
      int java = BuiltInPartitioner.partitionForKey(id.getBytes(StandardCharsets.UTF_8), PARTITIONS);

      assertThat(partitioner.partitions("t", id, null, PARTITIONS)).contains(Set.of(java));
      assertThat(IdPartitioner.partitionOf(id, PARTITIONS)).isEqualTo(java);
    }
  }

  @Test
  void shouldLeaveAKeylessRecordToTheProducer() {
    assertThat(new IdPartitioner<>().partitions("t", null, "v", PARTITIONS)).isEqualTo(Optional.empty());
  }

  @Test
  void librdkafkaClientsPutMostIdsOnAnotherPartitionThanJavaClients() {
    // why ingest repartitions by id before its state: the same id, two clients, two partitions
    long elsewhere = IntStream.range(0, 3000).mapToObj(i -> ("caption-" + i).getBytes(StandardCharsets.UTF_8))
        .filter(key -> LibrdkafkaCrc32Partitioner.partitionOf(key, PARTITIONS)
            != BuiltInPartitioner.partitionForKey(key, PARTITIONS))
        .count();

    assertThat(elsewhere).isBetween(1800L, 2200L); // about two in three
  }

  @Test
  void librdkafkasCrc32ModuloIsUnsigned() {
    // zlib's CRC-32 of "123456789" is 0xCBF43926 (high bit set): unsigned 3421780262 % 3 = 2, masked 1274296614 % 3 = 0
    byte[] key = "123456789".getBytes(StandardCharsets.US_ASCII);

    assertThat(LibrdkafkaCrc32Partitioner.partitionOf(key, 3)).isEqualTo(2);
    assertThat(org.apache.kafka.common.utils.Utils.toPositive(0xCBF43926) % 3).isZero();
  }
}
