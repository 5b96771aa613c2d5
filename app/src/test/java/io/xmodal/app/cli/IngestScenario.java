package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.client.dataset.Dataset;
import io.xmodal.client.dataset.Flickr8k;
import io.xmodal.client.dataset.Split;
import io.xmodal.client.publish.DatasetPublisher;
import io.xmodal.client.publish.IngestAccounting;
import io.xmodal.ingest.IngestTestImages;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.CaptionEvent;
import io.xmodal.schemas.ImageEvent;
import io.xmodal.schemas.RejectReason;
import io.xmodal.schemas.Rejection;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The ingest end-to-end scenario, run against whatever broker and registry a test provides: the 1,000 Flickr8k dev
 * images with their 5,000 captions, 59 bad records of 14 kinds, 50 exact re-sends, and 5 captions whose image never
 * comes. Every input must be accounted for: clean topics + dead letters + counted duplicates = inputs.
 */
final class IngestScenario {

  static final long MAX_IMAGE_BYTES = 1024 * 1024;

  private final PlatformConfig config;
  private final TopicCatalogue topics;
  private final String registryRoot;
  /** key → the reason it must be refused with. */
  private final Map<String, RejectReason> expectedRejections = new LinkedHashMap<>();
  private final List<ProducerRecord<String, ImageEvent>> badImages = new ArrayList<>();
  private final List<ProducerRecord<String, CaptionEvent>> badCaptions = new ArrayList<>();
  private final List<ProducerRecord<String, byte[]>> rawRecords = new ArrayList<>();

  IngestScenario(PlatformConfig config, TopicCatalogue topics) {
    this.config = config;
    this.topics = topics;
    this.registryRoot = config.registryRoot();
  }

  void run() throws Exception {
    PrintStream out = System.out;
    Dataset dev = Flickr8k.load(IngestTestImages.flickr8k(), Split.DEV, 0);
    assertThat(dev.images()).hasSize(1000);
    assertThat(dev.captions()).hasSize(5000);

    try (IngestAccounting accounting = IngestAccounting.start(config, topics)) {
      // Given the dev split, published as a producer would
      DatasetPublisher.Report sent = new DatasetPublisher(config, topics).publish(dev, out);
      // and bad records of many kinds, exact re-sends, and captions whose image never comes
      int bad = publishBadRecords(dev);
      int duplicates = publishExactResends(dev, 20, 30);
      int orphans = publishOrphanCaptions(5);
      long inputs = sent.records() + bad + duplicates + orphans;

      // When the pipeline has processed them
      IngestAccounting.Summary s = accounting.awaitAccounted(inputs, Duration.ofMinutes(5), out);

      // Then every input record is accounted for, and each bad record carries its reason
      assertThat(s.images()).isEqualTo(1000);
      assertThat(s.captions()).isEqualTo(5000 + orphans);
      assertThat(s.duplicates()).isEqualTo(duplicates);
      Map<RejectReason, Integer> expectedByReason = new EnumMap<>(RejectReason.class);
      expectedRejections.values().forEach(r -> expectedByReason.merge(r, 1, Integer::sum));
      assertThat(s.rejectedByReason()).isEqualTo(expectedByReason);
      assertThat(expectedByReason).hasSizeGreaterThanOrEqualTo(8);
      assertThat(s.total()).isEqualTo(inputs);
      Map<String, RejectReason> actual = new HashMap<>();
      for (Rejection r : s.rejections()) {
        actual.put(r.getKey(), r.getReason());
        assertThat(r.getMessage()).isNotBlank();
        assertThat(r.getSourceTopic()).isIn(topics.imagesRaw().name(), topics.captionsRaw().name());
        assertThat(r.getSourceOffset()).isNotNegative();
      }
      assertThat(actual).containsExactlyInAnyOrderEntriesOf(expectedRejections);
    }

    // And the schemas are in the registry, visible through the Confluent-compatible API
    String subjects = get(registryRoot + "/apis/ccompat/v7/subjects");
    assertThat(subjects).contains("\"" + topics.imagesRaw().name() + "-value\"", "\"" + topics.captionsRaw().name()
        + "-value\"", "\"" + topics.images().name() + "-value\"", "\"" + topics.captions().name() + "-value\"",
        "\"" + topics.rejected().name() + "-value\"", "\"" + topics.metrics().name() + "-value\"");
    String latest = get(registryRoot + "/apis/ccompat/v7/subjects/" + topics.rejected().name() + "-value/versions/latest");
    assertThat(latest).contains("Rejection").contains("RejectReason");
  }

  private int publishBadRecords(Dataset dev) throws Exception {
    byte[] jpeg = IngestTestImages.realJpeg(0);
    for (int i = 0; i < 6; i++) {
      badImage("corrupt-" + i, IngestTestImages.truncated(IngestTestImages.realJpeg(i + 1), 0.4 + i * 0.05),
          RejectReason.CORRUPT_IMAGE);
      badImage("noise-" + i, IngestTestImages.noise(200 + i), RejectReason.UNSUPPORTED_FORMAT);
    }
    for (int i = 0; i < 4; i++) {
      badImage("gif-" + i, IngestTestImages.gif(16 + i, 16), RejectReason.UNSUPPORTED_FORMAT);
      badImage("empty-" + i, new byte[0], RejectReason.EMPTY_IMAGE);
    }
    for (int i = 0; i < 2; i++) {
      badImage("bmp-" + i, IngestTestImages.bmp(16 + i, 16), RejectReason.UNSUPPORTED_FORMAT);
    }
    for (int i = 0; i < 5; i++) {
      badImage("bomb-" + i, IngestTestImages.pngClaiming(60_000 + i, 60_000), RejectReason.TOO_MANY_PIXELS);
    }
    for (int i = 0; i < 3; i++) {
      byte[] big = new byte[(int) MAX_IMAGE_BYTES + 1 + i];
      System.arraycopy(jpeg, 0, big, 0, jpeg.length);
      badImage("huge-" + i, big, RejectReason.IMAGE_TOO_LARGE);
    }
    for (int i = 0; i < 2; i++) {
      String key = "by-uri-" + i;
      ImageEvent e = ImageEvent.newBuilder().setImageId(key).setUri("file:///etc/hostname").setSource("e2e")
          .setProducedAt(Instant.now()).build();
      badImages.add(new ProducerRecord<>(topics.imagesRaw().name(), key, e));
      expectedRejections.put(key, RejectReason.UNRESOLVABLE_URI);
    }
    for (int i = 0; i < 2; i++) {
      String key = "blank-id-" + i;
      ImageEvent e = image(" ", jpeg);
      badImages.add(new ProducerRecord<>(topics.imagesRaw().name(), key, e));
      expectedRejections.put(key, RejectReason.MISSING_ID);
      badCaption(key + "-c", caption(" ", "x.jpg", "words"), RejectReason.MISSING_ID);
    }
    for (int i = 0; i < 3; i++) {
      String key = "wrong-key-" + i;
      badImages.add(new ProducerRecord<>(topics.imagesRaw().name(), key, image("the-real-id-" + i, jpeg)));
      expectedRejections.put(key, RejectReason.KEY_MISMATCH);
    }
    for (int i = 0; i < 4; i++) {
      badCaption("empty-text-" + i, caption("empty-text-" + i, "x.jpg", ""), RejectReason.EMPTY_CAPTION);
    }
    for (int i = 0; i < 3; i++) {
      badCaption("blank-text-" + i, caption("blank-text-" + i, "x.jpg", " \t "), RejectReason.EMPTY_CAPTION);
      badCaption("long-text-" + i, caption("long-text-" + i, "x.jpg", "a dog ".repeat(200 + i)),
          RejectReason.CAPTION_TOO_LONG);
    }

    try (KafkaProducer<String, ImageEvent> images = producer(topics.imagesRaw().valueSerde().serializer());
         KafkaProducer<String, CaptionEvent> captions = producer(topics.captionsRaw().valueSerde().serializer());
         KafkaProducer<String, byte[]> raw = producer(new ByteArraySerializer())) {
      badImages.forEach(images::send);
      badCaptions.forEach(captions::send);
      images.flush();
      captions.flush();

      // invalid UTF-8 inside an otherwise valid, registered CaptionEvent (a producer in another language)
      for (int i = 0; i < 3; i++) {
        String key = "bad-utf8-" + i;
        byte[] valid = topics.captionsRaw().valueSerde().serializer()
            .serialize(topics.captionsRaw().name(), caption(key, "x.jpg", "MARKERMARKER"));
        byte[] broken = io.xmodal.tools.fuzz.HostileBytes.replace(valid, "MARKERMARKER".getBytes(StandardCharsets.US_ASCII),
            new byte[] {'c', 'a', 'f', (byte) 0xC3, 0x28, (byte) 0xFF, (byte) 0xFE, 'x', 'y', 'z', 'w', 'v'});
        rawRecords.add(new ProducerRecord<>(topics.captionsRaw().name(), key, broken));
        expectedRejections.put(key, RejectReason.INVALID_UTF8);
      }
      // poison pills: not the wire format at all
      for (int i = 0; i < 4; i++) {
        String key = "poison-" + i;
        rawRecords.add(new ProducerRecord<>(i % 2 == 0 ? topics.imagesRaw().name() : topics.captionsRaw().name(), key,
            ("{\"not\":\"avro\",\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8)));
        expectedRejections.put(key, RejectReason.UNDESERIALIZABLE);
      }
      // the wire format with a schema id the registry never issued
      for (int i = 0; i < 3; i++) {
        String key = "unknown-schema-" + i;
        byte[] value = ByteBuffer.allocate(13).put((byte) 0).putInt(987_654 + i).putLong(42L).array();
        rawRecords.add(new ProducerRecord<>(topics.imagesRaw().name(), key, value));
        expectedRejections.put(key, RejectReason.UNKNOWN_SCHEMA);
      }
      rawRecords.forEach(raw::send);
      raw.flush();
    }
    return badImages.size() + badCaptions.size() + rawRecords.size();
  }

  private int publishExactResends(Dataset dev, int images, int captions) {
    Dataset again = new Dataset(dev.name(), dev.images().subList(0, images), dev.captions().subList(0, captions));
    DatasetPublisher.Report report = new DatasetPublisher(config, topics).publish(again, System.out);
    return report.records();
  }

  private int publishOrphanCaptions(int n) {
    try (KafkaProducer<String, CaptionEvent> captions = producer(topics.captionsRaw().valueSerde().serializer())) {
      for (int i = 0; i < n; i++) {
        String id = "orphan-" + i;
        captions.send(new ProducerRecord<>(topics.captionsRaw().name(), id,
            caption(id, "image-that-never-comes-" + i + ".jpg", "a caption that arrives first")));
      }
    }
    return n;
  }

  private void badImage(String key, byte[] bytes, RejectReason reason) {
    badImages.add(new ProducerRecord<>(topics.imagesRaw().name(), key, image(key, bytes)));
    expectedRejections.put(key, reason);
  }

  private void badCaption(String key, CaptionEvent caption, RejectReason reason) {
    badCaptions.add(new ProducerRecord<>(topics.captionsRaw().name(), key, caption));
    expectedRejections.put(key, reason);
  }

  private static ImageEvent image(String id, byte[] bytes) {
    return ImageEvent.newBuilder().setImageId(id).setBytes(ByteBuffer.wrap(bytes)).setSource("e2e")
        .setProducedAt(Instant.now()).build();
  }

  private static CaptionEvent caption(String id, String imageId, String text) {
    return CaptionEvent.newBuilder().setCaptionId(id).setImageId(imageId).setText(text).setSource("e2e")
        .setProducedAt(Instant.now()).build();
  }

  private <V> KafkaProducer<String, V> producer(org.apache.kafka.common.serialization.Serializer<V> values) {
    Map<String, Object> props = new HashMap<>(config.producerConfig());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    return new KafkaProducer<>(props, new StringSerializer(), values);
  }

  private static String get(String url) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient()
        .send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as("GET %s", url).isEqualTo(200);
    return response.body();
  }
}
