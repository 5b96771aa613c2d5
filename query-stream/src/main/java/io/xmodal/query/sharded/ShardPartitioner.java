package io.xmodal.query.sharded;

import io.xmodal.platform.topics.IdPartitioner;
import io.xmodal.schemas.ShardRequest;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * Where a {@link ShardRequest} goes on {@code xmodal.query.shards}: an encoded query to every partition (multicast),
 * a query for an existing item only to the partition that holds the item: the one xmodal's {@link IdPartitioner} gives
 * its id (murmur2 of the UTF-8 key, what encode-stream's sinks write the embeddings with). The topic must have as many
 * partitions as the request was scattered to (the embeddings topics'): otherwise a shard would be missed or searched
 * twice, so it refuses to send.
 */
public final class ShardPartitioner implements StreamPartitioner<String, ShardRequest> {

  @Override
  public Optional<Set<Integer>> partitions(String topic, String key, ShardRequest request, int numPartitions) {
    if (numPartitions != request.getPartitions()) {
      throw new StreamsException(topic + " has " + numPartitions + " partitions but the galleries have "
          + request.getPartitions() + " (XMODAL_PARTITIONS): recreate it with as many as the embeddings topics");
    }
    if (request.getVector() == null) {
      return Optional.of(Set.of(partitionOf(request.getExistingId(), numPartitions)));
    }
    return Optional.of(IntStream.range(0, numPartitions).boxed().collect(Collectors.toSet()));
  }

  /** The partition of an id on the embeddings topics. */
  public static int partitionOf(String id, int partitions) {
    return IdPartitioner.partitionOf(id, partitions);
  }
}
