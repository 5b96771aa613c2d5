package io.xmodal.encode;

import io.xmodal.encoders.Encoders;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.encoders.EncoderSession;
import io.xmodal.encoders.image.ImageDecoder;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.serde.PlainAvroSerdes;
import io.xmodal.platform.streams.StreamsSettings;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.CaptionEvent;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.ImageEvent;
import io.xmodal.schemas.MetricEvent;
import io.xmodal.schemas.Modality;
import io.xmodal.schemas.RejectReason;
import io.xmodal.schemas.Rejection;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EncodeTopologyTest {

  static final Path SHARED = Path.of(System.getProperty("xmodal.shared.dir", "../../shared"));
  static final Path IMAGES = SHARED.resolve("datasets/flickr8k/images");
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  static Encoders encoders;
  static EncodeConfig config;
  static PlatformConfig platform;

  @TempDir
  static Path work;

  TopologyTestDriver driver;
  TestInputTopic<String, ImageEvent> images;
  TestInputTopic<String, CaptionEvent> captions;
  TestOutputTopic<String, Embedding> imageEmbeddings;
  TestOutputTopic<String, Embedding> textEmbeddings;
  TestOutputTopic<String, Rejection> rejected;
  TestOutputTopic<String, MetricEvent> metrics;

  @BeforeAll
  static void loadModels() {
    ConfigSource source = ConfigSource.of(Map.of("XMODAL_WORK_DIR", work.toString(), "KAFKA_BOOTSTRAP_SERVERS",
        "ttd:9092", "XMODAL_SHARED_DIR", SHARED.toString(), "XMODAL_DEVICE", "cpu", "XMODAL_ENCODE_BATCH_SIZE", "4",
        "XMODAL_ENCODE_MAX_WAIT", "500ms", "XMODAL_METRICS_INTERVAL", "10s"));
    platform = PlatformConfig.from(source);
    config = EncodeConfig.from(source, platform);
    encoders = Encoders.load(config.encoders());
  }

  @AfterAll
  static void closeModels() {
    encoders.close();
  }

  @org.junit.jupiter.api.BeforeEach
  void startDriver() {
    TopicCatalogue topics = TopicCatalogue.create(platform.topics(), new PlainAvroSerdes());
    Properties props = StreamsSettings.properties(platform, config.applicationId(), topics, config.dlqPayloadCap());
    props.put("state.dir", work.resolve("state-" + System.nanoTime()).toString());
    driver = new TopologyTestDriver(EncodeTopology.buildTopology(config, topics, encoders), props, T0);
    images = driver.createInputTopic(topics.images().name(), new StringSerializer(), topics.images().valueSerde().serializer());
    captions = driver.createInputTopic(topics.captions().name(), new StringSerializer(),
        topics.captions().valueSerde().serializer());
    imageEmbeddings = driver.createOutputTopic(topics.imageEmbeddings().name(), topics.imageEmbeddings().keySerde()
        .deserializer(), topics.imageEmbeddings().valueSerde().deserializer());
    textEmbeddings = driver.createOutputTopic(topics.textEmbeddings().name(), topics.textEmbeddings().keySerde()
        .deserializer(), topics.textEmbeddings().valueSerde().deserializer());
    rejected = driver.createOutputTopic(topics.rejected().name(), topics.rejected().keySerde().deserializer(),
        topics.rejected().valueSerde().deserializer());
    metrics = driver.createOutputTopic(topics.metrics().name(), topics.metrics().keySerde().deserializer(),
        topics.metrics().valueSerde().deserializer());
  }

  @AfterEach
  void closeDriver() {
    driver.close();
  }

  static byte[] jpeg(String name) throws Exception {
    return Files.readAllBytes(IMAGES.resolve(name));
  }

  static ImageEvent image(String id, byte[] bytes) {
    return ImageEvent.newBuilder().setImageId(id).setBytes(ByteBuffer.wrap(bytes)).setSource("t").setProducedAt(T0)
        .setContentHash(io.xmodal.schemas.ContentHash.ofImage(bytes)).build();
  }

  static CaptionEvent caption(String id, String imageId, String text) {
    return CaptionEvent.newBuilder().setCaptionId(id).setImageId(imageId).setText(text).setSource("t")
        .setProducedAt(T0).setContentHash(io.xmodal.schemas.ContentHash.ofCaption(imageId, null, text)).build();
  }

  private void assertNothingElseCameOut() {
    assertThat(imageEmbeddings.isEmpty()).isTrue();
    assertThat(textEmbeddings.isEmpty()).isTrue();
    assertThat(rejected.isEmpty()).isTrue();
  }

  @Test
  void shouldWaitForABatchThenEmbedEverythingWhenTheWaitRunsOut() throws Exception {
    images.pipeInput("2490687446_9d46fdf5a9.jpg", image("2490687446_9d46fdf5a9.jpg", jpeg("2490687446_9d46fdf5a9.jpg")));
    captions.pipeInput("c#0", caption("c#0", "2490687446_9d46fdf5a9.jpg", "A black dog is shaking water off his body ."));
    captions.pipeInput("c#1", caption("c#1", "2490687446_9d46fdf5a9.jpg", "A wet dog shakes ."));

    assertNothingElseCameOut();
    driver.advanceWallClockTime(Duration.ofMillis(500));

    List<KeyValue<String, Embedding>> img = imageEmbeddings.readKeyValuesToList();
    assertThat(img).hasSize(1);
    Embedding e = img.get(0).value;
    assertThat(img.get(0).key).isEqualTo("2490687446_9d46fdf5a9.jpg");
    assertThat(e.getModality()).isEqualTo(Modality.IMAGE);
    // the event's content hash travels with its embedding (query-stream finds a stored vector by it)
    assertThat(e.getContentHash()).isEqualTo(io.xmodal.schemas.ContentHash.ofImage(jpeg("2490687446_9d46fdf5a9.jpg")));
    // the default image encoder: ResNet-50 flip-averaged ⊕ ResNet-50 on five windows ⊕ MobileNetV2 flip-averaged, its
    // identity naming every block with its view
    assertThat(io.xmodal.schemas.EmbeddingVectors.of(e)).hasSize(2048 + 2048 + 1280);
    assertThat(e.getEncoderInfo().getName())
        .isEqualTo("resnet50-int8-features+hflip-avg+resnet50-int8-features+win5@288+mobilenetv2-12-int8-features+hflip-avg"
            + "[l2-concat-l2]")
        .isEqualTo(encoders.image().info().name());
    assertThat(e.getEncoderInfo().getDimension()).isEqualTo(5376);
    assertThat(e.getEncoderInfo().getCombination()).isEqualTo("l2-concat-l2");
    assertThat(e.getEncoderInfo().getBlocks()).extracting(b -> b.getName() + "/" + b.getDimension())
        .containsExactly("resnet50-int8-features+hflip-avg/2048", "resnet50-int8-features+win5@288/2048",
            "mobilenetv2-12-int8-features+hflip-avg/1280");
    assertThat(e.getEncoderInfo().getBlocks()).extracting(b -> b.getChecksum())
        .containsExactlyElementsOf(encoders.image().info().blocks().stream().map(b -> b.checksum()).toList());
    assertThat(e.getEncoderInfo().getChecksum()).isEqualTo(encoders.image().info().checksum());
    assertThat(e.getCreatedAt()).isEqualTo(T0.plusMillis(500));
    List<KeyValue<String, Embedding>> txt = textEmbeddings.readKeyValuesToList();
    assertThat(txt).extracting(kv -> kv.key).containsExactlyInAnyOrder("c#0", "c#1");
    assertThat(txt).allSatisfy(kv -> {
      assertThat(kv.value.getModality()).isEqualTo(Modality.TEXT);
      assertThat(io.xmodal.schemas.EmbeddingVectors.of(kv.value)).hasSize(1152);
      assertThat(kv.value.getPairedImageId()).isEqualTo("2490687446_9d46fdf5a9.jpg");
      assertThat(kv.value.getContentHash()).hasSize(64);
      assertThat(kv.value.getEncoderInfo().getName()).isEqualTo(
          "all-MiniLM-L6-v2+bge-small-en-v1.5+e5-small-v2[l2-concat-l2]");
      assertThat(kv.value.getEncoderInfo().getBlocks()).extracting(b -> b.getName())
          .containsExactly("all-MiniLM-L6-v2", "bge-small-en-v1.5", "e5-small-v2");
    });
    assertNothingElseCameOut();
  }

  @Test
  void shouldEncodeAFullBatchAtOnce() {
    for (int i = 0; i < 4; i++) {
      captions.pipeInput("c" + i, caption("c" + i, "img", "caption number " + i));
    }

    assertThat(textEmbeddings.readKeyValuesToList()).hasSize(4);
    assertNothingElseCameOut();
  }

  @Test
  void shouldEmitExactlyWhatTheEncoderComputes() throws Exception {
    byte[] bytes = jpeg("2992614450_b5a6692239.jpg");
    images.pipeInput("bike", image("bike", bytes));
    captions.pipeInput("t", caption("t", "bike", "A bicyclist is jumping a wooden structure ."));
    driver.advanceWallClockTime(Duration.ofMillis(500));

    float[] expectedImage;
    float[] expectedText;
    try (EncoderSession<java.awt.image.BufferedImage> s = encoders.image().newSession();
         EncoderSession<String> t = encoders.text().newSession()) {
      expectedImage = s.encode(List.of(ImageDecoder.decodeRgb(bytes)))[0];
      expectedText = t.encode(List.of("A bicyclist is jumping a wooden structure ."))[0];
    }
    float[] gotImage = io.xmodal.schemas.EmbeddingVectors.of(imageEmbeddings.readValue());
    float[] gotText = io.xmodal.schemas.EmbeddingVectors.of(textEmbeddings.readValue());
    assertThat(gotImage).containsExactly(expectedImage, org.assertj.core.data.Offset.offset(1e-4f));
    assertThat(gotText).containsExactly(expectedText, org.assertj.core.data.Offset.offset(1e-5f));
    assertNothingElseCameOut();
  }

  @Test
  void shouldRefuseAnUndecodableImageAndKeepTheRestOfItsBatch() throws Exception {
    images.pipeInput("good-1", image("good-1", jpeg("2490687446_9d46fdf5a9.jpg")));
    images.pipeInput("broken", image("broken", new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 1, 2, 3}));
    images.pipeInput("good-2", image("good-2", jpeg("2863027424_9c75105660.jpg")));
    driver.advanceWallClockTime(Duration.ofMillis(500));

    assertThat(imageEmbeddings.readKeyValuesToList()).extracting(kv -> kv.key)
        .containsExactlyInAnyOrder("good-1", "good-2");
    List<Rejection> r = rejected.readValuesToList();
    assertThat(r).hasSize(1);
    assertThat(r.get(0).getReason()).isEqualTo(RejectReason.ENCODING_FAILED);
    assertThat(r.get(0).getKey()).isEqualTo("broken");
    assertThat(r.get(0).getSourceTopic()).isEqualTo("xmodal.images");
    assertThat(r.get(0).getService()).isEqualTo("xmodal-encode");
    assertNothingElseCameOut();
  }

  @Test
  void shouldDropAWaitingVersionOfADeletedItemAndPassTheTombstoneOn() {
    captions.pipeInput("c0", caption("c0", "img", "a caption that is deleted before it is encoded"));
    captions.pipeInput("c0", (CaptionEvent) null);
    captions.pipeInput("c1", caption("c1", "img", "a caption that stays"));

    driver.advanceWallClockTime(Duration.ofMillis(500));

    List<KeyValue<String, Embedding>> out = textEmbeddings.readKeyValuesToList();
    assertThat(out).extracting(kv -> kv.key).containsExactly("c0", "c1");
    assertThat(out.get(0).value).isNull();
    assertThat(out.get(1).value.getId()).isEqualTo("c1");
    assertNothingElseCameOut();
  }

  @Test
  void shouldNotEmbedAnImageDeletedWhileItWasBeingDecoded() throws Exception {
    // Given an image buffered (its decoding handed to the pool) and then deleted, and another image
    images.pipeInput("gone", image("gone", jpeg("2490687446_9d46fdf5a9.jpg")));
    images.pipeInput("gone", (ImageEvent) null);
    images.pipeInput("kept", image("kept", jpeg("2863027424_9c75105660.jpg")));

    // When the batch is encoded
    driver.advanceWallClockTime(Duration.ofMillis(500));

    // Then the deleted image's tombstone goes on and only the other image is embedded
    List<KeyValue<String, Embedding>> out = imageEmbeddings.readKeyValuesToList();
    assertThat(out).extracting(kv -> kv.key).containsExactly("gone", "kept");
    assertThat(out.get(0).value).isNull();
    assertThat(out.get(1).value.getId()).isEqualTo("kept");
    assertNothingElseCameOut();
  }

  @Test
  void shouldDecodeOnTheStreamThreadWhenThePoolHasNoThreads() throws Exception {
    // Given encode-stream with no decode threads
    driver.close();
    EncodeConfig noPool = new EncodeConfig(config.applicationId(), config.batchSize(), config.textBatchSize(),
        config.maxWait(),
        config.encoders(), config.dlqPayloadCap(), config.metricsInterval(), config.commitInterval(), 0,
        config.streamThreads(), config.idleRelease());
    TopicCatalogue topics = TopicCatalogue.create(platform.topics(), new PlainAvroSerdes());
    Properties props = StreamsSettings.properties(platform, config.applicationId(), topics, config.dlqPayloadCap());
    props.put("state.dir", work.resolve("state-" + System.nanoTime()).toString());
    driver = new TopologyTestDriver(EncodeTopology.buildTopology(noPool, topics, encoders), props, T0);
    images = driver.createInputTopic(topics.images().name(), new StringSerializer(),
        topics.images().valueSerde().serializer());
    imageEmbeddings = driver.createOutputTopic(topics.imageEmbeddings().name(), topics.imageEmbeddings().keySerde()
        .deserializer(), topics.imageEmbeddings().valueSerde().deserializer());
    byte[] bytes = jpeg("2992614450_b5a6692239.jpg");

    // When an image is buffered and its batch encoded
    images.pipeInput("bike", image("bike", bytes));
    driver.advanceWallClockTime(Duration.ofMillis(500));

    // Then its embedding is the same as with the pool: what the encoder computes for it
    float[] expected;
    try (EncoderSession<java.awt.image.BufferedImage> s = encoders.image().newSession()) {
      expected = s.encode(List.of(ImageDecoder.decodeRgb(bytes)))[0];
    }
    assertThat(io.xmodal.schemas.EmbeddingVectors.of(imageEmbeddings.readValue()))
        .containsExactly(expected, org.assertj.core.data.Offset.offset(1e-4f));
    assertThat(imageEmbeddings.isEmpty()).isTrue();
  }

  @Test
  void shouldEmitATombstoneAfterTheEmbeddingItDeletes() {
    for (int i = 0; i < 4; i++) {
      captions.pipeInput("c" + i, caption("c" + i, "img", "caption number " + i));
    }
    captions.pipeInput("c2", (CaptionEvent) null);

    List<KeyValue<String, Embedding>> out = textEmbeddings.readKeyValuesToList();
    assertThat(out).extracting(kv -> kv.key).containsExactly("c0", "c1", "c2", "c3", "c2");
    assertThat(out.subList(0, 4)).allSatisfy(kv -> assertThat(kv.value).isNotNull());
    assertThat(out.get(4).value).isNull();
    assertNothingElseCameOut();
  }

  @Test
  void shouldSkipARecordOfAnotherEventTypeAndKeepEncoding() throws Exception {
    TopicCatalogue topics = TopicCatalogue.create(platform.topics(), new PlainAvroSerdes());
    var raw = driver.createInputTopic(topics.images().name(), new StringSerializer(),
        new org.apache.kafka.common.serialization.ByteArraySerializer());
    raw.pipeInput("c", topics.captions().valueSerde().serializer().serialize(topics.captions().name(),
        caption("c", "img", "a caption on the image topic")));
    images.pipeInput("2490687446_9d46fdf5a9.jpg", image("2490687446_9d46fdf5a9.jpg", jpeg("2490687446_9d46fdf5a9.jpg")));

    driver.advanceWallClockTime(Duration.ofMillis(500));

    assertThat(imageEmbeddings.readKeyValuesToList()).extracting(kv -> kv.key)
        .containsExactly("2490687446_9d46fdf5a9.jpg");
    assertNothingElseCameOut();
  }

  @Test
  void shouldPublishThroughputMetrics() {
    for (int i = 0; i < 4; i++) {
      captions.pipeInput("c" + i, caption("c" + i, "img", "caption number " + i));
    }
    textEmbeddings.readValuesToList();

    driver.advanceWallClockTime(Duration.ofSeconds(10));

    Map<String, Double> published = new java.util.HashMap<>();
    metrics.readValuesToList().forEach(m -> published.put(m.getName(), m.getValue()));
    assertThat(published).containsEntry("encode.captions.encoded", 4.0).containsEntry("encode.captions.refused", 0.0)
        .containsEntry("encode.captions.batch_size_avg", 4.0).containsKey("encode.captions.encoder_throughput");
    assertThat(published.get("encode.captions.encoder_throughput")).isPositive();
  }

  @Test
  void shouldKeepATransactionOpenLongEnoughForSlowBatchesUnlessTheOperatorSaysOtherwise() {
    TopicCatalogue topics = TopicCatalogue.create(platform.topics(), new PlainAvroSerdes());
    assertThat(config.streamsProperties(platform, topics).get("transaction.timeout.ms")).isEqualTo(60_000);
    ConfigSource source = ConfigSource.of(Map.of("XMODAL_WORK_DIR", work.toString(), "KAFKA_BOOTSTRAP_SERVERS",
        "ttd:9092", "XMODAL_SHARED_DIR", SHARED.toString(), "KAFKA_TRANSACTION_TIMEOUT_MS", "20000"));
    PlatformConfig withOverride = PlatformConfig.from(source);
    assertThat(EncodeConfig.from(source, withOverride).streamsProperties(withOverride, topics)
        .get("transaction.timeout.ms")).isEqualTo("20000");
  }

  @Test
  void shouldNameEveryNodeAndStore() {
    var description = EncodeTopology.buildTopology(config, TopicCatalogue.create(platform.topics(),
        new PlainAvroSerdes()), encoders).describe();
    description.subtopologies().forEach(sub -> sub.nodes().forEach(node ->
        assertThat(node.name()).doesNotContain("KSTREAM-")));
    assertThat(description.toString()).contains("encode-images-pending", "encode-captions-pending");
  }
}
