package io.xmodal.app.cli;

import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.RejectReason;
import io.xmodal.schemas.Rejection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Everything committed on ingest's outputs since the start of their topics, as a read_committed consumer sees it: how
 * many times each key is on the clean topics, and the reasons each dead-lettered key was refused with.
 */
final class CommittedOutputs implements AutoCloseable {

  private final TopicCatalogue topics;
  private final Deserializer<Rejection> rejections;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Map<String, Integer> images = new TreeMap<>();
  private final Map<String, Integer> captions = new TreeMap<>();
  private final Map<String, List<RejectReason>> rejected = new TreeMap<>();

  CommittedOutputs(PlatformConfig config, TopicCatalogue topics, Deserializer<Rejection> rejections) {
    this.topics = topics;
    this.rejections = rejections;
    Map<String, Object> props = new HashMap<>(config.clientConfig());
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, config.topics().maxMessageBytes());
    this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : List.of(topics.images().name(), topics.captions().name(), topics.rejected().name())) {
      for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
        partitions.add(new TopicPartition(topic, p.partition()));
      }
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
  }

  /** Polls until {@code done} holds; false if the timeout passed first. */
  boolean awaitUntil(Predicate<CommittedOutputs> done, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.test(this)) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      poll(Duration.ofMillis(200));
    }
    return true;
  }

  /** Keeps reading for a while (to see anything that would come late, e.g. a duplicate). */
  void pollFor(Duration duration) {
    long deadline = System.nanoTime() + duration.toNanos();
    while (System.nanoTime() < deadline) {
      poll(Duration.ofMillis(200));
    }
  }

  private void poll(Duration timeout) {
    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(timeout)) {
      String key = r.key() == null ? "<null>" : new String(r.key(), StandardCharsets.UTF_8);
      if (r.topic().equals(topics.images().name())) {
        images.merge(key, 1, Integer::sum);
      } else if (r.topic().equals(topics.captions().name())) {
        captions.merge(key, 1, Integer::sum);
      } else {
        rejected.computeIfAbsent(key, k -> new ArrayList<>())
            .add(rejections.deserialize(r.topic(), r.value()).getReason());
      }
    }
  }

  /** Key → how many times it is on the clean image topic. */
  Map<String, Integer> images() {
    return images;
  }

  Map<String, Integer> captions() {
    return captions;
  }

  /** Key → the reasons it was dead-lettered with, in order. */
  Map<String, List<RejectReason>> rejected() {
    return rejected;
  }

  boolean hasImages(List<String> ids) {
    return images.keySet().containsAll(ids);
  }

  boolean hasCaptions(List<String> ids) {
    return captions.keySet().containsAll(ids);
  }

  @Override
  public void close() {
    consumer.close();
  }
}
