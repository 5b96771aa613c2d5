package io.xmodal.ingest;

import io.xmodal.schemas.ContentHash;
import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.serde.PlainAvroSerdes;
import io.xmodal.platform.streams.StreamsSettings;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.CaptionEvent;
import io.xmodal.schemas.ImageEvent;
import io.xmodal.schemas.MetricEvent;
import io.xmodal.schemas.RejectReason;
import io.xmodal.schemas.Rejection;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IngestTopologyTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @TempDir
  Path work;

  private TopologyTestDriver driver;
  private TopicCatalogue topics;
  private TestInputTopic<String, ImageEvent> rawImages;
  private TestInputTopic<String, CaptionEvent> rawCaptions;
  private TestInputTopic<String, byte[]> rawImageBytes;
  private TestOutputTopic<String, ImageEvent> images;
  private TestOutputTopic<String, CaptionEvent> captions;
  private TestOutputTopic<String, Rejection> rejected;
  private TestOutputTopic<String, MetricEvent> metrics;

  @BeforeEach
  void startDriver() throws Exception {
    Path uriRoot = Files.createDirectories(work.resolve("uploads"));
    Map<String, String> env = new HashMap<>(Map.of(
        "XMODAL_WORK_DIR", work.toString(),
        "KAFKA_BOOTSTRAP_SERVERS", "ttd:9092",
        "XMODAL_INGEST_MAX_IMAGE_BYTES", "300000",
        "XMODAL_INGEST_MAX_PIXELS", "1000000",
        "XMODAL_INGEST_MAX_CAPTION_CHARS", "50",
        "XMODAL_INGEST_URI_ROOT", uriRoot.toString(),
        "XMODAL_METRICS_INTERVAL", "1s"));
    env.put("XMODAL_DLQ_PAYLOAD_CAP", "1024");
    ConfigSource source = ConfigSource.of(env);
    PlatformConfig platform = PlatformConfig.from(source);
    IngestConfig config = IngestConfig.from(source, platform);
    topics = TopicCatalogue.create(platform.topics(), new PlainAvroSerdes());
    Properties props = StreamsSettings.properties(platform, config.applicationId(), topics, config.dlqPayloadCap());
    driver = new TopologyTestDriver(IngestTopology.buildTopology(config, topics), props, T0);

    rawImages = driver.createInputTopic(topics.imagesRaw().name(), new StringSerializer(),
        topics.imagesRaw().valueSerde().serializer());
    rawCaptions = driver.createInputTopic(topics.captionsRaw().name(), new StringSerializer(),
        topics.captionsRaw().valueSerde().serializer());
    rawImageBytes = driver.createInputTopic(topics.imagesRaw().name(), new StringSerializer(),
        new ByteArraySerializer());
    images = driver.createOutputTopic(topics.images().name(), topics.images().keySerde().deserializer(),
        topics.images().valueSerde().deserializer());
    captions = driver.createOutputTopic(topics.captions().name(), topics.captions().keySerde().deserializer(),
        topics.captions().valueSerde().deserializer());
    rejected = driver.createOutputTopic(topics.rejected().name(), topics.rejected().keySerde().deserializer(),
        topics.rejected().valueSerde().deserializer());
    metrics = driver.createOutputTopic(topics.metrics().name(), topics.metrics().keySerde().deserializer(),
        topics.metrics().valueSerde().deserializer());
  }

  @AfterEach
  void closeDriver() {
    driver.close();
  }

  static ImageEvent image(String id, byte[] bytes) {
    return ImageEvent.newBuilder().setImageId(id).setBytes(bytes == null ? null : ByteBuffer.wrap(bytes))
        .setSource("test").setProducedAt(T0).build();
  }

  static CaptionEvent caption(String id, String imageId, String text) {
    return CaptionEvent.newBuilder().setCaptionId(id).setImageId(imageId).setText(text).setSource("test")
        .setProducedAt(T0).build();
  }

  private Rejection onlyRejection() {
    List<Rejection> all = rejected.readValuesToList();
    assertThat(all).hasSize(1);
    return all.get(0);
  }

  private static <V> List<String> keys(TestOutputTopic<String, V> topic) {
    return topic.readKeyValuesToList().stream().map(kv -> kv.key).toList();
  }

  private void assertNothingElseCameOut() {
    assertThat(images.isEmpty()).as("nothing more on xmodal.images").isTrue();
    assertThat(captions.isEmpty()).as("nothing more on xmodal.captions").isTrue();
    assertThat(rejected.isEmpty()).as("nothing more on xmodal.rejected").isTrue();
  }

  @Nested
  class Images {

    @Test
    void shouldAcceptARealJpegAndRecordItsFormatSizeAndHash() {
      byte[] jpeg = IngestTestImages.realJpeg(0);

      rawImages.pipeInput("a", image("a", jpeg));

      List<KeyValue<String, ImageEvent>> out = images.readKeyValuesToList();
      assertThat(out).hasSize(1);
      ImageEvent accepted = out.get(0).value;
      assertThat(out.get(0).key).isEqualTo("a");
      assertThat(accepted.getContentType()).isEqualTo("image/jpeg");
      assertThat(accepted.getWidth()).isEqualTo(224);
      assertThat(accepted.getHeight()).isEqualTo(224);
      assertThat(accepted.getContentHash()).isEqualTo(ContentHash.ofImage(jpeg));
      assertThat(accepted.getIngestedAt()).isEqualTo(T0);
      assertThat(accepted.getBytes()).isEqualTo(ByteBuffer.wrap(jpeg));
      assertNothingElseCameOut();
    }

    @Test
    void shouldAcceptAPng() {
      rawImages.pipeInput("p", image("p", IngestTestImages.png(64, 48)));

      ImageEvent accepted = images.readValue();
      assertThat(accepted.getContentType()).isEqualTo("image/png");
      assertThat(accepted.getWidth()).isEqualTo(64);
      assertThat(accepted.getHeight()).isEqualTo(48);
      assertNothingElseCameOut();
    }

    @Test
    void shouldRouteCorruptImageToDeadLetterTopic() {
      rawImages.pipeInput("t", image("t", IngestTestImages.truncated(IngestTestImages.realJpeg(1), 0.5)));

      Rejection r = onlyRejection();
      assertThat(r.getReason()).isEqualTo(RejectReason.CORRUPT_IMAGE);
      assertThat(r.getKey()).isEqualTo("t");
      assertThat(r.getSourceTopic()).isEqualTo("xmodal.images.raw");
      assertThat(r.getSourceOffset()).isZero();
      assertThat(r.getService()).isEqualTo("xmodal-ingest");
      assertThat(r.getRejectedAt()).isEqualTo(T0);
      assertNothingElseCameOut();
    }

    @Test
    void shouldRefuseBytesThatAreNoImage() {
      rawImages.pipeInput("n", image("n", IngestTestImages.noise(500)));

      Rejection r = onlyRejection();
      assertThat(r.getReason()).isEqualTo(RejectReason.UNSUPPORTED_FORMAT);
      assertThat(r.getMessage()).contains("send JPEG or PNG");
      assertNothingElseCameOut();
    }

    @Test
    void shouldRefuseAGifByName() {
      rawImages.pipeInput("g", image("g", IngestTestImages.gif(32, 32)));

      Rejection r = onlyRejection();
      assertThat(r.getReason()).isEqualTo(RejectReason.UNSUPPORTED_FORMAT);
      assertThat(r.getMessage()).contains("GIF");
      assertNothingElseCameOut();
    }

    @Test
    void shouldRefuseADecompressionBombFromItsHeaderAlone() {
      rawImages.pipeInput("bomb", image("bomb", IngestTestImages.pngClaiming(100_000, 100_000)));

      Rejection r = onlyRejection();
      assertThat(r.getReason()).isEqualTo(RejectReason.TOO_MANY_PIXELS);
      assertThat(r.getMessage()).contains("100000x100000").contains("XMODAL_INGEST_MAX_PIXELS");
      assertNothingElseCameOut();
    }

    @Test
    void shouldRefuseAnImageOverTheByteLimitBeforeDecoding() {
      byte[] big = new byte[300_001];
      System.arraycopy(IngestTestImages.realJpeg(0), 0, big, 0, 1000);

      rawImages.pipeInput("big", image("big", big));

      Rejection r = onlyRejection();
      assertThat(r.getReason()).isEqualTo(RejectReason.IMAGE_TOO_LARGE);
      assertThat(r.getPayloadSize()).isGreaterThan(300_001);
      assertThat(r.getPayloadTruncated()).isTrue();
      assertThat(r.getPayload().remaining()).isEqualTo(1024);
      assertNothingElseCameOut();
    }

    @Test
    void shouldRefuseEmptyBytesAndMissingBytes() {
      rawImages.pipeInput("e", image("e", new byte[0]));
      rawImages.pipeInput("m", image("m", null));

      assertThat(rejected.readValuesToList()).extracting(Rejection::getReason)
          .containsExactly(RejectReason.EMPTY_IMAGE, RejectReason.EMPTY_IMAGE);
      assertNothingElseCameOut();
    }

    @Test
    void shouldRefuseABlankIdAndAKeyThatIsNotTheId() {
      rawImages.pipeInput("", image(" ", IngestTestImages.png(8, 8)));
      rawImages.pipeInput("other", image("x", IngestTestImages.png(8, 8)));

      assertThat(rejected.readValuesToList()).extracting(Rejection::getReason)
          .containsExactly(RejectReason.MISSING_ID, RejectReason.KEY_MISMATCH);
      assertNothingElseCameOut();
    }

    @Test
    void shouldTellAProducerWhatAKeyMustBeWhenItIsNotAUtf8String() {
      TestInputTopic<byte[], ImageEvent> binaryKeys = driver.createInputTopic(topics.imagesRaw().name(),
          new ByteArraySerializer(), topics.imagesRaw().valueSerde().serializer());
      // "k" as a registry/Avro serializer writes it: magic byte 0, schema id 7, Avro string (zigzag length 1, 'k')
      byte[] avroKey = {0, 0, 0, 0, 7, 2, 'k'};
      byte[] longKey = ByteBuffer.allocate(8).putLong(42L).array();

      binaryKeys.pipeInput(avroKey, image("k", IngestTestImages.png(8, 8)));
      binaryKeys.pipeInput(longKey, image("42", IngestTestImages.png(8, 8)));
      binaryKeys.pipeInput(new byte[] {(byte) 0xC3, 0x28}, image("x", IngestTestImages.png(8, 8)));

      List<Rejection> refused = rejected.readValuesToList();
      assertThat(refused).extracting(Rejection::getReason).containsOnly(RejectReason.KEY_MISMATCH).hasSize(3);
      assertThat(refused).allSatisfy(r -> assertThat(r.getMessage())
          .contains("must be its imageId itself, as a plain UTF-8 string").contains("not Avro, JSON or a number"));
      assertThat(refused.get(0).getMessage()).contains("'\\u0000\\u0000\\u0000\\u0000\\u0007\\u0002k'")
          .contains("starts with a zero byte").contains("registry/Avro serializer").contains("imageId is 'k'");
      assertThat(refused.get(1).getMessage()).contains("starts with a zero byte").contains("imageId is '42'");
      assertThat(refused.get(2).getMessage()).contains("is not valid UTF-8");
      assertNothingElseCameOut();
    }

    @Test
    void shouldDropAnExactResendButEmitChangedContent() {
      byte[] first = IngestTestImages.png(8, 8);
      byte[] second = IngestTestImages.png(9, 9);

      rawImages.pipeInput("d", image("d", first));
      rawImages.pipeInput("d", image("d", first));
      rawImages.pipeInput("d", image("d", second));

      assertThat(images.readValuesToList()).extracting(ImageEvent::getWidth).containsExactly(8, 9);
      assertNothingElseCameOut();
    }

    @Test
    void shouldAcceptTheSameBytesUnderAnotherId() {
      byte[] same = IngestTestImages.png(8, 8);

      rawImages.pipeInput("one", image("one", same));
      rawImages.pipeInput("two", image("two", same));

      assertThat(keys(images)).containsExactly("one", "two");
      assertNothingElseCameOut();
    }

    @Test
    void shouldResolveAFileUriUnderTheAllowedRootOnly() throws Exception {
      Path file = work.resolve("uploads").resolve("x.png");
      Files.write(file, IngestTestImages.png(10, 10));
      ImageEvent byUri = ImageEvent.newBuilder(image("u", null)).setUri(file.toUri().toString()).build();
      ImageEvent outside = ImageEvent.newBuilder(image("o", null)).setUri(Path.of("/etc/passwd").toUri().toString())
          .build();

      rawImages.pipeInput("u", byUri);
      rawImages.pipeInput("o", outside);

      ImageEvent accepted = images.readValue();
      assertThat(accepted.getWidth()).isEqualTo(10);
      assertThat(accepted.getBytes().remaining()).isEqualTo(Files.size(file));
      assertThat(onlyRejection().getReason()).isEqualTo(RejectReason.UNRESOLVABLE_URI);
      assertNothingElseCameOut();
    }

    @Test
    void shouldRefuseASymbolicLinkInsideTheRootThatPointsOutsideIt() throws Exception {
      Path outsideDir = Files.createDirectories(work.resolve("private"));
      Path outsideImage = Files.write(outsideDir.resolve("secret.png"), IngestTestImages.png(10, 10));
      Path root = work.resolve("uploads");
      Path toImage = Files.createSymbolicLink(root.resolve("innocent.png"), outsideImage);
      Path toPasswd = Files.createSymbolicLink(root.resolve("passwd.png"), Path.of("/etc/passwd"));
      Path inside = Files.write(root.resolve("real.png"), IngestTestImages.png(12, 12));
      Path toInside = Files.createSymbolicLink(root.resolve("alias.png"), inside);

      rawImages.pipeInput("l1", ImageEvent.newBuilder(image("l1", null)).setUri(toImage.toUri().toString()).build());
      rawImages.pipeInput("l2", ImageEvent.newBuilder(image("l2", null)).setUri(toPasswd.toUri().toString()).build());
      rawImages.pipeInput("l3", ImageEvent.newBuilder(image("l3", null)).setUri(toInside.toUri().toString()).build());

      assertThat(images.readValuesToList()).extracting(ImageEvent::getImageId).containsExactly("l3");
      List<Rejection> refused = rejected.readValuesToList();
      assertThat(refused).extracting(Rejection::getReason)
          .containsExactly(RejectReason.UNRESOLVABLE_URI, RejectReason.UNRESOLVABLE_URI);
      assertThat(refused).allSatisfy(r -> assertThat(r.getMessage()).contains("outside XMODAL_INGEST_URI_ROOT"));
      assertNothingElseCameOut();
    }

    @Test
    void shouldNeverEchoTheContentsOfAFileReadThroughAUri() throws Exception {
      Path notAnImage = Files.writeString(work.resolve("uploads").resolve("notes.png"), "root:x:0:0:secret");
      Path directory = Files.createDirectories(work.resolve("uploads").resolve("folder.png"));

      rawImages.pipeInput("t", ImageEvent.newBuilder(image("t", null)).setUri(notAnImage.toUri().toString()).build());
      rawImages.pipeInput("d", ImageEvent.newBuilder(image("d", null)).setUri(directory.toUri().toString()).build());

      List<Rejection> refused = rejected.readValuesToList();
      assertThat(refused).extracting(Rejection::getReason)
          .containsExactly(RejectReason.UNSUPPORTED_FORMAT, RejectReason.UNRESOLVABLE_URI);
      assertThat(refused.get(0).getMessage()).doesNotContain("root").doesNotContain("726f6f74")
          .contains("not shown");
      assertThat(refused.get(1).getMessage()).contains("not a regular file");
      assertNothingElseCameOut();
    }

    @Test
    void shouldSkipARecordOfAnotherEventTypeAndKeepProcessing() {
      // a well-formed CaptionEvent on the image topic: before, a ClassCastException crash-looped the stream thread
      byte[] aCaption = topics.captionsRaw().valueSerde().serializer()
          .serialize(topics.captionsRaw().name(), caption("c", "x.jpg", "a caption where an image belongs"));

      rawImageBytes.pipeInput("c", aCaption);
      rawImages.pipeInput("ok", image("ok", IngestTestImages.png(8, 8)));

      assertThat(keys(images)).containsExactly("ok");
      assertNothingElseCameOut();
    }

    @Test
    void shouldPassATombstoneOnAndForgetTheImageSoItCanComeBack() {
      byte[] png = IngestTestImages.png(8, 8);

      rawImages.pipeInput("d", image("d", png));
      rawImages.pipeInput("d", (ImageEvent) null);
      rawImages.pipeInput("d", image("d", png));
      rawImages.pipeInput(null, (ImageEvent) null);

      List<KeyValue<String, ImageEvent>> out = images.readKeyValuesToList();
      assertThat(out).extracting(kv -> kv.key).containsExactly("d", "d", "d");
      assertThat(out.get(0).value).isNotNull();
      assertThat(out.get(1).value).isNull();
      assertThat(out.get(2).value).isNotNull();
      Rejection keyless = onlyRejection();
      assertThat(keyless.getReason()).isEqualTo(RejectReason.MISSING_ID);
      assertThat(keyless.getMessage()).contains("tombstone");
      assertNothingElseCameOut();
    }

    @Test
    void shouldSkipAPoisonPillAndKeepProcessing() {
      // TopologyTestDriver does not forward the handler's dead-letter records (its context has no record
      // collector for them); DeadLetterHandlersTest checks the record the handler builds, and IngestEndToEndIT
      // that it lands on xmodal.rejected through a real broker.
      rawImageBytes.pipeInput("poison", IngestTestImages.noise(40));
      rawImages.pipeInput("ok", image("ok", IngestTestImages.png(8, 8)));

      assertThat(keys(images)).containsExactly("ok");
      assertNothingElseCameOut();
    }
  }

  @Nested
  class Captions {

    @Test
    void shouldAcceptACaptionBeforeItsImageArrives() {
      rawCaptions.pipeInput("c1", caption("c1", "not-yet-seen.jpg", "A dog runs through the snow ."));

      CaptionEvent accepted = captions.readValue();
      assertThat(accepted.getImageId()).isEqualTo("not-yet-seen.jpg");
      assertThat(accepted.getContentHash()).hasSize(64);
      assertThat(accepted.getIngestedAt()).isEqualTo(T0);
      assertNothingElseCameOut();
    }

    @Test
    void shouldAcceptFreeTextWithoutAnImage() {
      rawCaptions.pipeInput("free", caption("free", null, "a red bicycle"));

      assertThat(captions.readValue().getImageId()).isNull();
      assertNothingElseCameOut();
    }

    @Test
    void shouldRefuseEmptyWhitespaceTooLongAndInvalidUtf8Text() {
      rawCaptions.pipeInput("e", caption("e", "i", ""));
      rawCaptions.pipeInput("w", caption("w", "i", " \t\n "));
      rawCaptions.pipeInput("l", caption("l", "i", "x".repeat(51)));
      rawCaptions.pipeInput("u", caption("u", "i", "caf\uFFFD au lait"));

      assertThat(rejected.readValuesToList()).extracting(Rejection::getReason).containsExactly(
          RejectReason.EMPTY_CAPTION, RejectReason.EMPTY_CAPTION, RejectReason.CAPTION_TOO_LONG,
          RejectReason.INVALID_UTF8);
      assertNothingElseCameOut();
    }

    @Test
    void shouldCountLengthInCharactersNotBytes() {
      rawCaptions.pipeInput("emoji", caption("emoji", "i", "\uD83D\uDC15".repeat(50)));

      assertThat(keys(captions)).containsExactly("emoji");
      assertNothingElseCameOut();
    }

    @Test
    void shouldRefuseMissingIdsAndAMismatchedKey() {
      rawCaptions.pipeInput("", caption("", "i", "text"));
      rawCaptions.pipeInput("k", caption("k", " ", "text"));
      rawCaptions.pipeInput("wrong", caption("right", "i", "text"));

      assertThat(rejected.readValuesToList()).extracting(Rejection::getReason).containsExactly(
          RejectReason.MISSING_ID, RejectReason.MISSING_ID, RejectReason.KEY_MISMATCH);
      assertNothingElseCameOut();
    }

    @Test
    void shouldDropAnExactResendOfACaption() {
      rawCaptions.pipeInput("c", caption("c", "i", "same words"));
      rawCaptions.pipeInput("c", caption("c", "i", "same words"));
      rawCaptions.pipeInput("c", caption("c", "i", "corrected words"));

      assertThat(captions.readValuesToList()).extracting(CaptionEvent::getText)
          .containsExactly("same words", "corrected words");
      assertNothingElseCameOut();
    }
  }

  @Nested
  class Counters {

    @Test
    void shouldPublishAcceptedRejectedAndDuplicateCountsEveryInterval() {
      byte[] png = IngestTestImages.png(8, 8);
      rawImages.pipeInput("a", image("a", png));
      rawImages.pipeInput("a", image("a", png));
      rawImages.pipeInput("b", image("b", new byte[0]));
      rawCaptions.pipeInput("c", caption("c", "a", "words"));

      driver.advanceWallClockTime(Duration.ofSeconds(1));

      Map<String, Double> published = new HashMap<>();
      metrics.readValuesToList().forEach(m -> published.put(m.getName(), m.getValue()));
      assertThat(published).containsExactlyInAnyOrderEntriesOf(Map.of(
          "ingest.images.accepted", 1.0, "ingest.images.rejected", 1.0, "ingest.images.duplicates", 1.0,
          "ingest.images.deleted", 0.0, "ingest.captions.accepted", 1.0, "ingest.captions.rejected", 0.0,
          "ingest.captions.duplicates", 0.0, "ingest.captions.deleted", 0.0,
          "dlq.records", 1.0)); // the EMPTY_IMAGE dead letter, counted from xmodal.rejected

      driver.advanceWallClockTime(Duration.ofSeconds(1));
      assertThat(metrics.isEmpty()).as("unchanged counters are not republished").isTrue();
    }
  }

  @Nested
  class DeadLetters {

    @Test
    void shouldCountEveryDeadLetterByServiceSourceTopicAndReason() {
      TestInputTopic<String, Rejection> deadLetters = driver.createInputTopic(topics.rejected().name(),
          new StringSerializer(), topics.rejected().valueSerde().serializer());
      deadLetters.pipeInput("q1", deadLetter("xmodal-query", "xmodal.queries", RejectReason.WRONG_TYPE));
      deadLetters.pipeInput("q2", deadLetter("xmodal-query", "xmodal.queries", RejectReason.WRONG_TYPE));
      deadLetters.pipeInput("i1", deadLetter("xmodal-ingest", "xmodal.images.raw", RejectReason.UNDESERIALIZABLE));

      driver.advanceWallClockTime(Duration.ofSeconds(1));

      Map<String, Double> counts = new HashMap<>();
      metrics.readValuesToList().stream().filter(m -> m.getName().equals("dlq.records")).forEach(m -> counts.put(
          m.getTags().get("rejected_by") + " " + m.getTags().get("source_topic") + " " + m.getTags().get("reason"),
          m.getValue()));
      assertThat(counts).containsExactlyInAnyOrderEntriesOf(Map.of(
          "xmodal-query xmodal.queries WRONG_TYPE", 2.0,
          "xmodal-ingest xmodal.images.raw UNDESERIALIZABLE", 1.0));
    }

    private Rejection deadLetter(String service, String topic, RejectReason reason) {
      return Rejection.newBuilder().setSourceTopic(topic).setSourcePartition(0).setSourceOffset(7).setKey("k")
          .setReason(reason).setMessage("m").setService(service).setRejectedAt(T0).build();
    }
  }

  @Test
  void shouldNameEveryNodeAndStore() {
    Topology topology = IngestTopology.buildTopology(
        IngestConfig.from(ConfigSource.of(Map.of()), PlatformConfig.from(ConfigSource.of(Map.of()))), topics);

    TopologyDescription description = topology.describe();
    description.subtopologies().forEach(sub -> sub.nodes().forEach(node ->
        assertThat(node.name()).doesNotContain("KSTREAM-").doesNotContain("KTABLE-")));
    assertThat(description.toString())
        .contains("ingest-images-seen", "ingest-images-counters", "ingest-captions-seen", "ingest-captions-counters",
            "ingest-images-validate-counters", "ingest-captions-validate-counters");
  }

  @Test
  void shouldKeepTheDedupStateOnlyAfterTheRepartitionById() {
    // the producer's partitioner decides only where a record is validated; the per-id state reads the repartition
    Topology topology = IngestTopology.buildTopology(
        IngestConfig.from(ConfigSource.of(Map.of()), PlatformConfig.from(ConfigSource.of(Map.of()))), topics);

    for (String kind : List.of("images", "captions")) {
      TopologyDescription.Subtopology dedup = topology.describe().subtopologies().stream()
          .filter(sub -> sub.nodes().stream().anyMatch(n -> n.name().equals(kind + "-dedup")))
          .findFirst().orElseThrow();
      List<String> sources = dedup.nodes().stream().filter(n -> n instanceof TopologyDescription.Source)
          .flatMap(n -> ((TopologyDescription.Source) n).topicSet().stream()).toList();
      assertThat(sources).containsExactly(kind + "-by-id-repartition");
      TopologyDescription.Processor processor = (TopologyDescription.Processor) dedup.nodes().stream()
          .filter(n -> n.name().equals(kind + "-dedup")).findFirst().orElseThrow();
      assertThat(processor.stores()).containsExactlyInAnyOrder("ingest-" + kind + "-seen", "ingest-" + kind + "-counters");
    }
  }
}
