package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.client.dataset.Dataset;
import io.xmodal.client.dataset.Flickr8k;
import io.xmodal.client.dataset.Split;
import io.xmodal.client.publish.DatasetPublisher;
import io.xmodal.ingest.IngestTestImages;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.process.Ports;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.Modality;
import io.xmodal.tools.stack.Stack;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ingest and encode-stream together on the embedded broker and registry, on 60 Flickr8k dev images and their
 * 300 captions: exactly one embedding per image and per caption, with the right dimension and encoder identity (the
 * composite default: five models in one service, the slowest path of the suite on 2 cores; throughput is the bench's).
 */
@Tag("e2e")
@Timeout(600)
class EncodeEndToEndIT {

  private static final int IMAGES = 60;

  @TempDir
  Path work;

  @Test
  void shouldEmbedEveryValidImageAndCaptionExactlyOnce() throws Exception {
    ConfigSource source = ConfigSource.of(Map.of(
        "XMODAL_WORK_DIR", work.toString(),
        "XMODAL_SHARED_DIR", IngestTestImages.sharedDir().toString(),
        "XMODAL_BROKER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_CONTROLLER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_REGISTRY_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_DEVICE", "auto"));
    Dataset subset = Flickr8k.load(IngestTestImages.flickr8k(), Split.DEV, IMAGES);
    int captions = subset.captions().size();

    try (Stack stack = Stack.start(source)) {
      // Given 60 dev images and their captions, published as a producer would
      new DatasetPublisher(stack.config(), stack.topics()).publish(subset, System.out);

      // When ingest and encode-stream have processed them
      Map<String, Embedding> images = new HashMap<>();
      Map<String, Embedding> texts = new HashMap<>();
      int[] records = new int[2];
      Map<String, Object> props = new HashMap<>(stack.config().clientConfig());
      props.put(ConsumerConfig.GROUP_ID_CONFIG, "encode-e2e");
      props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      try (KafkaConsumer<String, Embedding> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
          stack.topics().imageEmbeddings().valueSerde().deserializer())) {
        consumer.subscribe(List.of(stack.topics().imageEmbeddings().name(), stack.topics().textEmbeddings().name()));
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while ((images.size() < IMAGES || texts.size() < captions) && System.nanoTime() < deadline) {
          for (ConsumerRecord<String, Embedding> r : consumer.poll(Duration.ofMillis(500))) {
            boolean image = r.topic().equals(stack.topics().imageEmbeddings().name());
            (image ? images : texts).put(r.key(), r.value());
            records[image ? 0 : 1]++;
          }
        }
        // a little longer: anything extra (a duplicate) would show up now
        for (int i = 0; i < 6; i++) {
          for (ConsumerRecord<String, Embedding> r : consumer.poll(Duration.ofMillis(500))) {
            records[r.topic().equals(stack.topics().imageEmbeddings().name()) ? 0 : 1]++;
          }
        }
      }

      // Then there is exactly one embedding per image and per caption
      assertThat(images.keySet()).isEqualTo(subset.images().stream().map(Dataset.Image::imageId)
          .collect(Collectors.toSet()));
      assertThat(texts.keySet()).isEqualTo(subset.captions().stream().map(Dataset.Caption::captionId)
          .collect(Collectors.toSet()));
      assertThat(records).containsExactly(IMAGES, captions);
      // with the right dimensions, modality, pairing and encoder identity
      var imageInfo = stack.encoders().orElseThrow().image().info();
      var textInfo = stack.encoders().orElseThrow().text().info();
      assertThat(images.values()).allSatisfy(e -> {
        assertThat(e.getModality()).isEqualTo(Modality.IMAGE);
        // the default composite (ResNet-50 flipped ⊕ ResNet-50 cropped ⊕ MobileNetV2), its blocks travelling through
        // the registry's schema
        assertThat(io.xmodal.schemas.EmbeddingVectors.of(e)).hasSize(2048 + 2048 + 1280);
        assertThat(e.getEncoderInfo().getName()).isEqualTo(imageInfo.name());
        assertThat(e.getEncoderInfo().getChecksum()).isEqualTo(imageInfo.checksum());
        assertThat(e.getEncoderInfo().getBlocks()).extracting(b -> b.getName() + "@" + b.getChecksum())
            .containsExactlyElementsOf(imageInfo.blocks().stream().map(b -> b.name() + "@" + b.checksum()).toList());
        assertThat(e.getEncoderInfo().getCombination()).isEqualTo("l2-concat-l2");
      });
      Map<String, String> imageOf = subset.captions().stream()
          .collect(Collectors.toMap(Dataset.Caption::captionId, Dataset.Caption::imageId));
      assertThat(texts.entrySet()).allSatisfy(e -> {
        assertThat(e.getValue().getModality()).isEqualTo(Modality.TEXT);
        assertThat(io.xmodal.schemas.EmbeddingVectors.of(e.getValue())).hasSize(1152);
        assertThat(e.getValue().getPairedImageId()).isEqualTo(imageOf.get(e.getKey()));
        assertThat(e.getValue().getEncoderInfo().getName()).isEqualTo(textInfo.name());
        assertThat(e.getValue().getEncoderInfo().getChecksum()).isEqualTo(textInfo.checksum());
        assertThat(e.getValue().getEncoderInfo().getDimension()).isEqualTo(1152);
        assertThat(e.getValue().getEncoderInfo().getBlocks()).extracting(b -> b.getName())
            .containsExactly("all-MiniLM-L6-v2", "bge-small-en-v1.5", "e5-small-v2");
      });
    }
  }
}
