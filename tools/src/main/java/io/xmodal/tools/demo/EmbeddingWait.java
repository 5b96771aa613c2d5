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
import java.util.HashSet;
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

  /**
   * Waits until every id in {@code wanted} has an embedding, and returns the vectors of those in {@code kept} (the
   * demo keeps the evaluation split's, 45 MB, not the training split's 267 MB, which only the trainer needs).
   *
   * @return how many wanted ids had an embedding, and the vectors of those in {@code kept}
   */
  static Found await(PlatformConfig config, TopicCatalogue topics, Set<String> wanted, Set<String> kept,
                     Duration timeout, PrintStream out) {
    Map<String, Object> props = config.consumerConfig();
    Set<String> seen = new HashSet<>();
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
      while (seen.size() < wanted.size() && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, Embedding> r : consumer.poll(Duration.ofMillis(500))) {
          if (r.value() != null && wanted.contains(r.key())) {
            seen.add(r.key());
            if (kept.contains(r.key())) {
              found.put(r.key(), EmbeddingVectors.of(r.value()));
            }
          }
        }
        progress.set(seen.size());
      }
    }
    progress.finish();
    return new Found(seen.size(), found);
  }

  /** How many wanted ids had an embedding, and the kept ones' vectors. */
  record Found(int count, Map<String, float[]> vectors) {}
}
