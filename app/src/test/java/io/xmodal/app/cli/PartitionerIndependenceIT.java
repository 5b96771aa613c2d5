package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.client.publish.IngestAccounting;
import io.xmodal.ingest.IngestTestImages;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.process.Ports;
import io.xmodal.platform.topics.LibrdkafkaCrc32Partitioner;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.platform.topics.TopicSpec;
import io.xmodal.schemas.CaptionEvent;
import io.xmodal.schemas.ImageEvent;
import io.xmodal.tools.stack.Stack;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 33, defect 1, on a real broker: the same ids produced by a Java client (murmur2, the default partitioner) and
 * by a librdkafka-like client (CRC32, librdkafka's default: the Python, Go, .NET clients) land on different raw
 * partitions, and ingest must still keep one state per id. Half of the ids go murmur2 first, half CRC32 first; each is
 * re-sent unchanged through the other partitioner (a duplicate), deleted through the other one, and published again
 * through the first. Every id must end present, accepted exactly twice (before and after its delete, never for the
 * re-send) with exactly one tombstone between, and nothing lost.
 */
@Tag("e2e")
@Timeout(600)
class PartitionerIndependenceIT {

  private static final int IDS = 24;

  @TempDir
  Path work;

  @Test
  void shouldKeepOneStatePerIdWhicheverPartitionerTheProducersUse() throws Exception {
    ConfigSource source = ConfigSource.of(Map.of(
        "XMODAL_WORK_DIR", work.toString(),
        "XMODAL_BROKER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_CONTROLLER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_REGISTRY_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_METRICS_INTERVAL", "1s"));

    try (Stack stack = Stack.start(source, Set.of(Stack.Service.INGEST))) {
      PlatformConfig config = stack.config();
      TopicCatalogue topics = stack.topics();
      int partitions = topics.imagesRaw().partitions();
      List<String> imageIds = new ArrayList<>();
      List<String> captionIds = new ArrayList<>();
      for (int i = 0; i < IDS; i++) {
        imageIds.add("img-" + i + ".jpg");
        captionIds.add("cap-" + i);
      }
      // Given ids most of which the two partitioners place apart
      assertThat(imageIds.stream().filter(id -> placedApart(id, partitions)).count()).isGreaterThanOrEqualTo(IDS / 2);
      assertThat(captionIds.stream().filter(id -> placedApart(id, partitions)).count()).isGreaterThanOrEqualTo(IDS / 2);

      try (Producers murmur = new Producers(config, topics, false);
           Producers crc = new Producers(config, topics, true)) {
        // When each id is published, half through each partitioner
        phase(config, topics, 2 * IDS, () -> forEach(imageIds, captionIds, (i, first, second) ->
            (i % 2 == 0 ? murmur : crc).publish(first, second, i)), 2 * IDS, 0);
        // and re-sent unchanged through the other one
        phase(config, topics, 2 * IDS, () -> forEach(imageIds, captionIds, (i, first, second) ->
            (i % 2 == 0 ? crc : murmur).publish(first, second, i)), 0, 2 * IDS);
        // and deleted through the other one
        phase(config, topics, 2 * IDS, () -> forEach(imageIds, captionIds, (i, first, second) ->
            (i % 2 == 0 ? crc : murmur).delete(first, second)), 2 * IDS, 0);
        // and published again, unchanged, through the first
        phase(config, topics, 2 * IDS, () -> forEach(imageIds, captionIds, (i, first, second) ->
            (i % 2 == 0 ? murmur : crc).publish(first, second, i)), 2 * IDS, 0);
      }

      // Then each id went: accepted, deleted, accepted; nothing twice, nothing lost
      Map<String, List<String>> images = history(config, topics.images());
      Map<String, List<String>> captions = history(config, topics.captions());
      assertThat(images.keySet()).containsExactlyInAnyOrderElementsOf(imageIds);
      assertThat(captions.keySet()).containsExactlyInAnyOrderElementsOf(captionIds);
      images.forEach((id, events) -> assertThat(events).as(id).containsExactly("accepted", "deleted", "accepted"));
      captions.forEach((id, events) -> assertThat(events).as(id).containsExactly("accepted", "deleted", "accepted"));
    }
  }

  private static boolean placedApart(String id, int partitions) {
    byte[] key = id.getBytes(StandardCharsets.UTF_8);
    return LibrdkafkaCrc32Partitioner.partitionOf(key, partitions) != BuiltInPartitioner.partitionForKey(key, partitions);
  }

  private interface Step {
    void send(int i, String imageId, String captionId) throws Exception;
  }

  /** Runs {@code step} for every index, with the image and caption ids of that index. */
  private static void forEach(List<String> imageIds, List<String> captionIds, Step step) {
    try {
      for (int i = 0; i < imageIds.size(); i++) {
        step.send(i, imageIds.get(i), captionIds.get(i));
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Sends, then waits until ingest has accounted for every record sent, and checks what it made of them. */
  private static void phase(PlatformConfig config, TopicCatalogue topics, int records, Runnable send, int onCleanTopics,
                            long duplicates) {
    try (IngestAccounting accounting = IngestAccounting.start(config, topics)) {
      send.run();
      IngestAccounting.Summary s = accounting.awaitAccounted(records, Duration.ofMinutes(2), System.out);
      assertThat(s.rejected()).as("dead letters: %s", s.rejections()).isZero();
      assertThat(s.images() + s.captions()).as("records on the clean topics").isEqualTo(onCleanTopics);
      assertThat(s.duplicates()).as("re-sends dropped as duplicates").isEqualTo(duplicates);
    }
  }

  /** Per id, in order: "accepted" for a value, "deleted" for a tombstone, read committed from the beginning. */
  private static <V> Map<String, List<String>> history(PlatformConfig config, TopicSpec<String, V> topic) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    Map<String, Object> props = new HashMap<>(config.consumerConfig());
    props.put("isolation.level", "read_committed");
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> tps = consumer.partitionsFor(topic.name(), Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(topic.name(), p.partition())).toList();
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      Map<TopicPartition, Long> ends = consumer.endOffsets(tps);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (tps.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp)) && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          out.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value() == null ? "deleted" : "accepted");
        }
      }
    }
    return out;
  }

  /** A Java producer of images and captions, with the default partitioner or librdkafka's. */
  private static final class Producers implements AutoCloseable {
    private final TopicCatalogue topics;
    private final boolean crc32;
    private final KafkaProducer<String, ImageEvent> images;
    private final KafkaProducer<String, CaptionEvent> captions;

    Producers(PlatformConfig config, TopicCatalogue topics, boolean crc32) {
      this.topics = topics;
      this.crc32 = crc32;
      Map<String, Object> props = new HashMap<>(config.producerConfig());
      props.put(ProducerConfig.ACKS_CONFIG, "all");
      if (crc32) {
        props.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, LibrdkafkaCrc32Partitioner.class.getName());
      }
      images = new KafkaProducer<>(props, new StringSerializer(), topics.imagesRaw().valueSerde().serializer());
      captions = new KafkaProducer<>(props, new StringSerializer(), topics.captionsRaw().valueSerde().serializer());
    }

    void publish(String imageId, String captionId, int i) throws Exception {
      ImageEvent image = ImageEvent.newBuilder().setImageId(imageId)
          .setBytes(ByteBuffer.wrap(IngestTestImages.png(8 + i % 6, 8 + i / 6))).setSource("partitioners")
          .setProducedAt(Instant.now()).build();
      CaptionEvent caption = CaptionEvent.newBuilder().setCaptionId(captionId).setImageId(imageId)
          .setText("caption number " + i).setSource("partitioners").setProducedAt(Instant.now()).build();
      send(images, topics.imagesRaw().name(), imageId, image);
      send(captions, topics.captionsRaw().name(), captionId, caption);
    }

    void delete(String imageId, String captionId) throws Exception {
      send(images, topics.imagesRaw().name(), imageId, null);
      send(captions, topics.captionsRaw().name(), captionId, null);
    }

    private <V> void send(KafkaProducer<String, V> producer, String topic, String key, V value) throws Exception {
      RecordMetadata md = producer.send(new ProducerRecord<>(topic, key, value)).get();
      int partitions = producer.partitionsFor(topic).size();
      byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
      int expected = crc32 ? LibrdkafkaCrc32Partitioner.partitionOf(bytes, partitions)
          : BuiltInPartitioner.partitionForKey(bytes, partitions);
      assertThat(md.partition()).as("partition of %s (%s)", key, crc32 ? "crc32" : "murmur2").isEqualTo(expected);
    }

    @Override
    public void close() {
      images.close();
      captions.close();
    }
  }
}
