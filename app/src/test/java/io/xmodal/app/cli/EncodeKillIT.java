package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.xmodal.client.dataset.Dataset;
import io.xmodal.client.dataset.Flickr8k;
import io.xmodal.client.dataset.Split;
import io.xmodal.ingest.IngestTestImages;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.process.Ports;
import io.xmodal.schemas.CaptionEvent;
import io.xmodal.schemas.ImageEvent;
import io.xmodal.tools.stack.ProcessStack;
import io.xmodal.tools.stack.Stack;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * encode-stream as its own process ({@code xmodal service ENCODE}) on the embedded broker, killed with SIGKILL while
 * a batch waits: its inputs consumed and committed, no embedding out yet. Its buffer holds source offsets, not the
 * records (no image bytes on the changelog); after the restart it reads the waiting records back from the source
 * topic, and every input has exactly one embedding, read_committed.
 */
@Tag("e2e")
@Timeout(300)
class EncodeKillIT {

  static final int N = 24;
  static final String GROUP = "xmodal-encode";

  @TempDir
  Path work;

  @Test
  void shouldEmbedEveryRecordOfABatchCutShortByAKillExactlyOnce() throws Exception {
    // a batch is full at N + 1 records and never times out: the first N wait until the kill
    ConfigSource source = ConfigSource.of(Map.ofEntries(
        Map.entry("XMODAL_WORK_DIR", work.toString()),
        Map.entry("XMODAL_SHARED_DIR", IngestTestImages.sharedDir().toString()),
        Map.entry("XMODAL_BROKER_PORT", Integer.toString(Ports.freePort())),
        Map.entry("XMODAL_CONTROLLER_PORT", Integer.toString(Ports.freePort())),
        Map.entry("XMODAL_REGISTRY_PORT", Integer.toString(Ports.freePort())),
        Map.entry("XMODAL_PARTITIONS", "1"),
        Map.entry("XMODAL_DEVICE", "cpu"),
        // the single encoders, without flip averaging: what is tested is exactly-once through a kill, not quality
        Map.entry("XMODAL_TEXT_MODEL", "minilm_l6_v2"),
        Map.entry("XMODAL_IMAGE_ENCODER", "mobilenetv2:noflip"),
        Map.entry("XMODAL_ENCODE_BATCH_SIZE", Integer.toString(N + 1)),
        Map.entry("XMODAL_ENCODE_MAX_WAIT", "30m"),
        Map.entry("XMODAL_ENCODE_COMMIT_INTERVAL", "200ms")));
    Dataset dev = Flickr8k.load(IngestTestImages.flickr8k(), Split.DEV, N + 1);
    List<Dataset.Image> images = dev.images();
    List<Dataset.Caption> captions = new ArrayList<>();
    for (Dataset.Image image : images) {
      captions.add(dev.captions().stream().filter(c -> c.imageId().equals(image.imageId())).findFirst()
          .orElseThrow());
    }

    try (ProcessStack stack = ProcessStack.start(source, EnumSet.of(Stack.Service.ENCODE), 1, 1, false, w -> { },
        System.out::println)) {
      ProcessStack.Member encode = stack.member("encode-stream-1");
      String imageTopic = stack.topics().images().name();
      String captionTopic = stack.topics().captions().name();
      try {
        // Given N images and N captions consumed by encode-stream and committed (in its buffer), none embedded yet
        publish(stack, images.subList(0, N), captions.subList(0, N));
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
            .until(() -> committed(stack, imageTopic) == N && committed(stack, captionTopic) == N);
        assertThat(embeddings(stack, Duration.ofSeconds(1))).as("embeddings before the kill").isEmpty();
        // and its buffer's changelog holds 8-byte offsets, not the records
        List<byte[]> changelog = changelog(stack, GROUP + "-encode-images-pending-changelog");
        assertThat(changelog).hasSize(N).allSatisfy(v -> assertThat(v).hasSize(8));

        // When it is killed (SIGKILL) with the batch waiting, restarted, and one more image and caption fill the batch
        assertThat(encode.kill()).isEqualTo(137);
        encode.restart();
        publish(stack, images.subList(N, N + 1), captions.subList(N, N + 1));

        // Then every image and caption has exactly one embedding (read_committed), and nothing else came out
        Map<String, Integer> out = new TreeMap<>();
        List<String> expected = new ArrayList<>();
        images.forEach(i -> expected.add("image " + i.imageId()));
        captions.forEach(c -> expected.add("text " + c.captionId()));
        try (KafkaConsumer<byte[], byte[]> consumer = embeddingConsumer(stack)) {
          long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
          while (!out.keySet().containsAll(expected) && System.nanoTime() < deadline) {
            count(consumer, stack, Duration.ofMillis(500), out);
          }
          count(consumer, stack, Duration.ofSeconds(3), out);
        }
        Map<String, Integer> once = new TreeMap<>();
        expected.forEach(k -> once.put(k, 1));
        System.out.printf("kill mid-batch: %d inputs waiting at the kill, %d inputs in all, %d embeddings committed, "
            + "%d keys more than once%n", 2 * N, expected.size(), out.values().stream().mapToInt(i -> i).sum(),
            out.values().stream().filter(c -> c > 1).count());
        assertThat(out).isEqualTo(once);
        // and the restarted instance read the waiting records back from the source topics
        String log = Files.readString(encode.process().logFile());
        assertThat(log).contains("read back " + N + " buffered images from " + imageTopic)
            .contains("read back " + N + " buffered captions from " + captionTopic);
      } catch (AssertionError | RuntimeException e) {
        System.out.println("encode-stream's log, " + encode.process().logFile() + ":");
        System.out.println(Files.readString(encode.process().logFile()));
        throw e;
      }
    }
  }

  private static void publish(ProcessStack stack, List<Dataset.Image> images, List<Dataset.Caption> captions)
      throws Exception {
    Map<String, Object> props = new HashMap<>(stack.config().producerConfig());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, ImageEvent> ip = new KafkaProducer<>(props, new StringSerializer(),
        stack.topics().images().valueSerde().serializer());
         KafkaProducer<String, CaptionEvent> cp = new KafkaProducer<>(props, new StringSerializer(),
             stack.topics().captions().valueSerde().serializer())) {
      for (Dataset.Image i : images) {
        ip.send(new ProducerRecord<>(stack.topics().images().name(), i.imageId(), ImageEvent.newBuilder()
            .setImageId(i.imageId()).setBytes(ByteBuffer.wrap(Files.readAllBytes(i.file()))).setSource("kill-it")
            .setProducedAt(Instant.now()).setContentType("image/jpeg").build())).get();
      }
      for (Dataset.Caption c : captions) {
        cp.send(new ProducerRecord<>(stack.topics().captions().name(), c.captionId(), CaptionEvent.newBuilder()
            .setCaptionId(c.captionId()).setImageId(c.imageId()).setText(c.text()).setSource("kill-it")
            .setProducedAt(Instant.now()).build())).get();
      }
    }
  }

  /** encode-stream's committed input position on partition 0 of {@code topic}. */
  private static long committed(ProcessStack stack, String topic) throws Exception {
    try (Admin admin = Admin.create(stack.config().clientConfig())) {
      OffsetAndMetadata m = admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata().get()
          .get(new TopicPartition(topic, 0));
      return m == null ? -1 : m.offset();
    }
  }

  private static KafkaConsumer<byte[], byte[]> embeddingConsumer(ProcessStack stack) {
    Map<String, Object> props = stack.config().consumerConfig();
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
    List<TopicPartition> partitions = List.of(new TopicPartition(stack.topics().imageEmbeddings().name(), 0),
        new TopicPartition(stack.topics().textEmbeddings().name(), 0));
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return consumer;
  }

  private static void count(KafkaConsumer<byte[], byte[]> consumer, ProcessStack stack, Duration time,
                            Map<String, Integer> out) {
    long deadline = System.nanoTime() + time.toNanos();
    while (System.nanoTime() < deadline) {
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
        String kind = r.topic().equals(stack.topics().imageEmbeddings().name()) ? "image " : "text ";
        out.merge(kind + new String(r.key(), StandardCharsets.UTF_8), 1, Integer::sum);
      }
    }
  }

  private static Map<String, Integer> embeddings(ProcessStack stack, Duration time) {
    Map<String, Integer> out = new TreeMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer = embeddingConsumer(stack)) {
      count(consumer, stack, time, out);
    }
    return out;
  }

  /** The values on a changelog, read_committed, from its start to its end. */
  private static List<byte[]> changelog(ProcessStack stack, String topic) {
    List<byte[]> values = new ArrayList<>();
    Map<String, Object> props = stack.config().consumerConfig();
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long end = consumer.endOffsets(List.of(tp)).get(tp);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (consumer.position(tp) < end && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          values.add(r.value());
        }
      }
    }
    return values;
  }
}
