package io.xmodal.tools.demo;

import io.xmodal.client.publish.Progress;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.EmbeddingVectors;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads both embeddings topics from the start until the wanted ids are all there; keeps their vectors. */
final class EmbeddingWait {

  private EmbeddingWait() {}

  /** Vectors by id of every embedding whose id is in {@code wanted}. */
  static Map<String, float[]> await(PlatformConfig config, TopicCatalogue topics, Set<String> wanted,
                                    Duration timeout, PrintStream out) {
    Map<String, Object> props = config.consumerConfig();
    Map<String, float[]> found = new HashMap<>();
    Progress progress = new Progress("embeddings", wanted.size(), out);
    try (KafkaConsumer<String, Embedding> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
        topics.imageEmbeddings().valueSerde().deserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      for (String t : List.of(topics.imageEmbeddings().name(), topics.textEmbeddings().name())) {
        consumer.partitionsFor(t, Duration.ofSeconds(30)).forEach(p -> parts.add(new TopicPartition(t, p.partition())));
      }
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (found.size() < wanted.size() && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, Embedding> r : consumer.poll(Duration.ofMillis(500))) {
          if (r.value() != null && wanted.contains(r.key())) {
            found.put(r.key(), EmbeddingVectors.of(r.value()));
          }
        }
        progress.set(found.size());
      }
    }
    progress.finish();
    return found;
  }
}
