package io.xmodal.client.mapping;

import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.MappingModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A client's view of {@code xmodal.mappings} (committed records only): every published version, or the first newest
 * version of a mapping that satisfies a condition, followed as the trainer publishes. Used by {@code ./xmodal mapping}
 * and by the demo.
 */
public final class MappingHistory {

  private MappingHistory() {}

  /** Every version in xmodal.mappings, read from the start to the current end, by name then version. */
  public static List<MappingModel> read(PlatformConfig config, TopicCatalogue topics) {
    List<MappingModel> out = new ArrayList<>();
    try (KafkaConsumer<String, MappingModel> consumer = consumer(config, topics)) {
      List<TopicPartition> partitions = fromTheStart(consumer, topics);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        consumer.poll(Duration.ofMillis(500)).forEach(r -> {
          if (r.value() != null) {
            out.add(r.value());
          }
        });
      }
    }
    out.sort(Comparator.comparing(MappingModel::getName).thenComparingLong(MappingModel::getVersion));
    return out;
  }

  /**
   * Follows xmodal.mappings from the start until the newest version of {@code name} satisfies {@code done}, and
   * returns it; empty if none did within {@code timeout}.
   *
   * @param report given the newest version so far (null before the first) every {@code reportEvery}
   */
  public static Optional<MappingModel> await(PlatformConfig config, TopicCatalogue topics, String name,
                                             Predicate<MappingModel> done, Duration timeout, Duration reportEvery,
                                             Consumer<MappingModel> report) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long nextReport = System.nanoTime() + reportEvery.toNanos();
    MappingModel newest = null;
    try (KafkaConsumer<String, MappingModel> consumer = consumer(config, topics)) {
      fromTheStart(consumer, topics);
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, MappingModel> r : consumer.poll(Duration.ofMillis(500))) {
          MappingModel m = r.value();
          if (m != null && m.getName().equals(name) && (newest == null || m.getVersion() > newest.getVersion())) {
            newest = m;
          }
        }
        if (newest != null && done.test(newest)) {
          return Optional.of(newest);
        }
        if (System.nanoTime() >= nextReport) {
          report.accept(newest);
          nextReport = System.nanoTime() + reportEvery.toNanos();
        }
      }
    }
    return Optional.empty();
  }

  private static KafkaConsumer<String, MappingModel> consumer(PlatformConfig config, TopicCatalogue topics) {
    return new KafkaConsumer<>(config.consumerConfig(), new StringDeserializer(),
        topics.mappings().valueSerde().deserializer());
  }

  private static List<TopicPartition> fromTheStart(KafkaConsumer<String, MappingModel> consumer,
                                                   TopicCatalogue topics) {
    List<TopicPartition> partitions = consumer.partitionsFor(topics.mappings().name(), Duration.ofSeconds(30))
        .stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return partitions;
  }
}
