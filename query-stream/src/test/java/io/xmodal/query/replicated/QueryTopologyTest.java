package io.xmodal.query.replicated;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.encoders.Encoder;
import io.xmodal.encoders.EncoderInfo;
import io.xmodal.encoders.EncoderSession;
import io.xmodal.encoders.Encoders;
import io.xmodal.encoders.image.ImageDecoder;
import io.xmodal.mapping.Fits;
import io.xmodal.mapping.GmlpMap;
import io.xmodal.mapping.HubnessCorrection;
import io.xmodal.mapping.LinearMap;
import io.xmodal.mapping.SufficientStats;
import io.xmodal.mapping.Vectors;
import io.xmodal.mapping.codec.MappingCodec;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.serde.PlainAvroSerdes;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.query.QueryConfig;
import io.xmodal.query.gallery.GalleryIndex;
import io.xmodal.query.gallery.ProjectedGallery;
import io.xmodal.query.gallery.Projector;
import io.xmodal.schemas.ContentHash;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.EncoderIdentity;
import io.xmodal.schemas.MappingModel;
import io.xmodal.schemas.MetricEvent;
import io.xmodal.schemas.Modality;
import io.xmodal.schemas.Query;
import io.xmodal.schemas.QueryResult;
import io.xmodal.schemas.RejectReason;
import io.xmodal.schemas.Rejection;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class QueryTopologyTest {

  public static final Path SHARED = Path.of(System.getProperty("xmodal.shared.dir", "../../shared"));
  public static final Path FLICKR = SHARED.resolve("datasets/flickr8k");
  public static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  public static final int N = 60;

  public static Encoders encoders;
  public static QueryConfig config;
  public static PlatformConfig platform;
  public static List<String> imageIds = new ArrayList<>();
  public static List<float[]> imageVectors = new ArrayList<>();
  public static List<String> captionIds = new ArrayList<>();
  public static List<String> captionImage = new ArrayList<>();
  public static List<String> captionTexts = new ArrayList<>();
  public static List<float[]> captionVectors = new ArrayList<>();

  @TempDir
  public static Path work;

  TopologyTestDriver driver;
  TestInputTopic<String, Embedding> images;
  TestInputTopic<String, Embedding> texts;
  TestInputTopic<String, MappingModel> mappings;
  TestInputTopic<String, Query> queries;
  TestOutputTopic<String, QueryResult> results;
  TestOutputTopic<String, Rejection> rejected;
  TestOutputTopic<String, MetricEvent> metrics;

  @BeforeAll
  public static void encodeSomeDevData() throws Exception {
    // another test class may have filled them already (ShardedQueryTopologyTest reuses this data)
    for (List<?> l : List.of(imageIds, imageVectors, captionIds, captionImage, captionTexts, captionVectors)) {
      l.clear();
    }
    ConfigSource source = ConfigSource.of(Map.of("XMODAL_WORK_DIR", work.toString(), "KAFKA_BOOTSTRAP_SERVERS",
        "ttd:9092", "XMODAL_SHARED_DIR", SHARED.toString(), "XMODAL_DEVICE", "cpu", "XMODAL_QUERY_BATCH_SIZE", "4",
        "XMODAL_QUERY_MAX_WAIT", "50ms", "XMODAL_METRICS_INTERVAL", "10s"))
        // the single models: the topology is under test, not the default composite encoders (encoders' own tests)
        .with(Map.of("XMODAL_TEXT_MODEL", "minilm_l6_v2", "XMODAL_IMAGE_ENCODER", "mobilenetv2"));
    platform = PlatformConfig.from(source);
    config = QueryConfig.from(source, platform);
    encoders = Encoders.load(config.encoders());
    List<String> dev = Files.readAllLines(FLICKR.resolve("Flickr_8k.devImages.txt")).subList(0, N);
    Map<String, List<String>> caps = new HashMap<>();
    for (String line : Files.readAllLines(FLICKR.resolve("Flickr8k.token.txt"))) {
      String[] p = line.split("\t");
      caps.computeIfAbsent(p[0].substring(0, p[0].indexOf('#')), k -> new ArrayList<>()).add(p[0] + "\t" + p[1]);
    }
    try (EncoderSession<java.awt.image.BufferedImage> is = encoders.image().newSession();
         EncoderSession<String> ts = encoders.text().newSession()) {
      for (String name : dev) {
        imageIds.add(name);
        imageVectors.add(is.encode(List.of(ImageDecoder.decodeRgb(Files.readAllBytes(FLICKR.resolve("images")
            .resolve(name)))))[0]);
        for (String c : caps.get(name)) {
          String[] p = c.split("\t");
          captionIds.add(p[0]);
          captionImage.add(name);
          captionTexts.add(p[1]);
        }
      }
      float[][] tv = ts.encode(captionTexts);
      for (float[] v : tv) {
        captionVectors.add(v);
      }
    }
  }

  @AfterAll
  public static void closeEncoders() {
    encoders.close();
  }

  /** The projector of this test's two galleries (a new one per test, as a topology's builder makes). */
  final Projector projector = new Projector();

  @BeforeEach
  void start() {
    start(new GalleryIndex(false, projector), new GalleryIndex(false, projector));
  }

  void start(GalleryIndex imageGallery, GalleryIndex textGallery) {
    start(imageGallery, textGallery, encoders);
  }

  void start(GalleryIndex imageGallery, GalleryIndex textGallery, Encoders with) {
    TopicCatalogue topics = TopicCatalogue.create(platform.topics(), new PlainAvroSerdes());
    Properties props = config.streamsProperties(platform, topics);
    props.put("state.dir", work.resolve("state-" + System.nanoTime()).toString());
    driver = new TopologyTestDriver(QueryTopology.buildTopology(config, topics, with, imageGallery, textGallery),
        props, T0);
    images = driver.createInputTopic(topics.imageEmbeddings().name(), new StringSerializer(),
        topics.imageEmbeddings().valueSerde().serializer());
    texts = driver.createInputTopic(topics.textEmbeddings().name(), new StringSerializer(),
        topics.textEmbeddings().valueSerde().serializer());
    mappings = driver.createInputTopic(topics.mappings().name(), new StringSerializer(),
        topics.mappings().valueSerde().serializer());
    queries = driver.createInputTopic(topics.queries().name(), new StringSerializer(),
        topics.queries().valueSerde().serializer());
    results = driver.createOutputTopic(topics.results().name(), topics.results().keySerde().deserializer(),
        topics.results().valueSerde().deserializer());
    rejected = driver.createOutputTopic(topics.rejected().name(), topics.rejected().keySerde().deserializer(),
        topics.rejected().valueSerde().deserializer());
    metrics = driver.createOutputTopic(topics.metrics().name(), topics.metrics().keySerde().deserializer(),
        topics.metrics().valueSerde().deserializer());
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  public static EncoderIdentity identity(EncoderInfo i) {
    return EncoderIdentity.newBuilder().setName(i.name()).setVersion(i.version()).setDimension(i.dimension())
        .setChecksum(i.checksum()).build();
  }

  public static Embedding embedding(String id, Modality m, EncoderInfo enc, float[] v, String source) {
    List<Float> list = new ArrayList<>();
    for (float f : v) {
      list.add(f);
    }
    return Embedding.newBuilder().setId(id).setModality(m).setEncoderInfo(identity(enc)).setVector(list)
        .setCreatedAt(T0).setSource(source).build();
  }

  /** Every caption with its image, L2-normalised: {text rows, image rows}. */
  public static float[][][] pairs() {
    float[][] x = new float[captionVectors.size()][];
    float[][] y = new float[captionVectors.size()][];
    for (int i = 0; i < x.length; i++) {
      x[i] = Vectors.l2(captionVectors.get(i));
      y[i] = Vectors.l2(imageVectors.get(imageIds.indexOf(captionImage.get(i))));
    }
    return new float[][][] {x, y};
  }

  /** A least-squares map fitted on these very pairs (so the right answers rank first), as version {@code v}. */
  public static MappingModel mapping(long version, HubnessCorrection h) {
    float[][][] p = pairs();
    float[][] x = p[0];
    float[][] y = p[1];
    LinearMap map = Fits.leastSquares(SufficientStats.of(x, y), 0.01, true, Fits.Direction.T2I).withHubness(h);
    var refText = Nd4j.create(java.util.Arrays.copyOf(x, 50)).castTo(DataType.FLOAT);
    var refImages = Nd4j.create(java.util.Arrays.copyOf(y, 20)).castTo(DataType.FLOAT);
    return MappingCodec.toAvro(map, new MappingCodec.Meta("default", version, identity(encoders.text().info()),
        identity(encoders.image().info()), x.length, Map.of("rsum", 500.0), T0, null, refText, refImages));
  }

  void fillGalleries() {
    for (int i = 0; i < imageIds.size(); i++) {
      images.pipeInput(imageIds.get(i), embedding(imageIds.get(i), Modality.IMAGE, encoders.image().info(),
          imageVectors.get(i), i % 2 == 0 ? "even" : "odd"));
    }
    for (int i = 0; i < captionIds.size(); i++) {
      texts.pipeInput(captionIds.get(i), embedding(captionIds.get(i), Modality.TEXT, encoders.text().info(),
          captionVectors.get(i), "dev"));
    }
  }

  public static Query.Builder query(String id) {
    return Query.newBuilder().setQueryId(id).setSentAt(T0).setK(5);
  }

  List<QueryResult> answer() {
    driver.advanceWallClockTime(Duration.ofMillis(50));
    return results.readValuesToList();
  }

  @Test
  void shouldFindImagesForTextAndCaptionsForImagesWithTheLiveVersion() throws Exception {
    fillGalleries();
    mappings.pipeInput("default", mapping(3, HubnessCorrection.NONE));

    queries.pipeInput("t1", query("t1").setModality(Modality.TEXT).setText(captionTexts.get(0))
        .setExpectedIds(List.of(captionImage.get(0))).build());
    queries.pipeInput("i1", query("i1").setModality(Modality.IMAGE)
        .setImageBytes(ByteBuffer.wrap(Files.readAllBytes(FLICKR.resolve("images").resolve(imageIds.get(1)))))
        .build());
    queries.pipeInput("e1", query("e1").setModality(Modality.TEXT).setExistingId(captionIds.get(7)).build());

    List<QueryResult> out = answer();
    assertThat(out).extracting(QueryResult::getQueryId).containsExactlyInAnyOrder("t1", "i1", "e1");
    Map<String, QueryResult> byId = new HashMap<>();
    out.forEach(r -> byId.put(r.getQueryId(), r));
    assertThat(byId.values()).allSatisfy(r -> {
      assertThat(r.getError()).isNull();
      assertThat(r.getMappingVersion()).isEqualTo(3L);
      assertThat(r.getHits()).hasSize(5);
      assertThat(r.getHits().get(0).getScore()).isGreaterThanOrEqualTo(r.getHits().get(4).getScore());
    });
    assertThat(imageIds).contains(byId.get("t1").getHits().get(0).getId());
    assertThat(byId.get("t1").getHits()).extracting(h -> h.getId()).contains(captionImage.get(0));
    assertThat(byId.get("i1").getHits()).extracting(h -> captionImage.get(captionIds.indexOf(h.getId())))
        .contains(imageIds.get(1));
    assertThat(byId.get("e1").getHits()).extracting(h -> h.getId()).contains(captionImage.get(7));
    assertThat(rejected.isEmpty()).isTrue();
  }

  /**
   * An encoder that counts what its sessions encode, and encodes it with {@code real} (whose identity it has): a
   * session's predictor stands in front of the real encoder's session.
   */
  public static final class Counting<I> implements Encoder<I> {
    final Encoder<I> real;
    final java.util.function.IntFunction<I[]> arrays;
    final java.util.concurrent.atomic.AtomicInteger encoded = new java.util.concurrent.atomic.AtomicInteger();
    final ai.djl.Model model = ai.djl.Model.newInstance("counting", ai.djl.Device.cpu(), "OnnxRuntime");

    Counting(Encoder<I> real, java.util.function.IntFunction<I[]> arrays) {
      this.real = real;
      this.arrays = arrays;
    }

    @Override
    public EncoderInfo info() {
      return real.info();
    }

    @Override
    public ai.djl.Device device() {
      return real.device();
    }

    @Override
    public EncoderSession<I> newSession() {
      EncoderSession<I> session = real.newSession();
      return new EncoderSession<>(new ai.djl.inference.Predictor<I[], float[][]>(model, null, ai.djl.Device.cpu(),
          false) {
        @Override
        public float[][] predict(I[] inputs) {
          encoded.addAndGet(inputs.length);
          return session.encode(List.of(inputs));
        }

        @Override
        public void close() {
          session.close();
          super.close();
        }
      }, arrays);
    }

    @Override
    public void close() {
      model.close(); // the real encoder is closed with the test class
    }
  }

  /** The galleries as encode-stream now writes them: each item with its event's content hash (captions free text). */
  void fillGalleriesWithContentHashes(EncoderInfo textEncoder) throws Exception {
    for (int i = 0; i < imageIds.size(); i++) {
      images.pipeInput(imageIds.get(i), Embedding.newBuilder(embedding(imageIds.get(i), Modality.IMAGE,
          encoders.image().info(), imageVectors.get(i), "dev")).setContentHash(ContentHash.ofImage(imageBytes(i)))
          .build());
    }
    for (int i = 0; i < captionIds.size(); i++) {
      texts.pipeInput(captionIds.get(i), Embedding.newBuilder(embedding(captionIds.get(i), Modality.TEXT,
          textEncoder, captionVectors.get(i), "dev")).setContentHash(ContentHash.ofCaption(null, "en",
          captionTexts.get(i))).build());
    }
  }

  public static byte[] imageBytes(int i) throws java.io.IOException {
    return Files.readAllBytes(FLICKR.resolve("images").resolve(imageIds.get(i)));
  }

  @Test
  void shouldAnswerAQueryWhoseContentIsInTheGalleryWithItsStoredVectorWithoutEncodingAndTheSameHits()
      throws Exception {
    // Given galleries whose items carry their content hashes, and encoders that count what they encode
    driver.close();
    Counting<String> text = new Counting<>(encoders.text(), String[]::new);
    Counting<java.awt.image.BufferedImage> image = new Counting<>(encoders.image(),
        java.awt.image.BufferedImage[]::new);
    start(new GalleryIndex(false, projector), new GalleryIndex(false, projector), new Encoders(text, image));
    try {
      fillGalleriesWithContentHashes(encoders.text().info());
      mappings.pipeInput("default", mapping(3, HubnessCorrection.invertedSoftmax(30)));
      int caption = 10;
      int picture = 3;

      // When a caption's text and an image's bytes are asked for as they are in the gallery
      queries.pipeInput("t", query("t").setModality(Modality.TEXT).setText(captionTexts.get(caption)).setK(10)
          .build());
      queries.pipeInput("i", query("i").setModality(Modality.IMAGE).setImageBytes(ByteBuffer.wrap(
          imageBytes(picture))).setK(10).build());
      Map<String, QueryResult> reused = byId(answer());

      // Then neither is encoded: each is answered with its item's stored vector, and says which
      assertThat(text.encoded.get() + image.encoded.get()).isZero();
      assertThat(reused).containsOnlyKeys("t", "i");
      assertThat(captionTexts.get(captionIds.indexOf(reused.get("t").getReusedId())))
          .isEqualTo(captionTexts.get(caption)); // the caption, or another with the very same text
      assertThat(reused.get("i").getReusedId()).isEqualTo(imageIds.get(picture));

      // When the same two are asked for with forceEncode
      queries.pipeInput("t-enc", query("t-enc").setModality(Modality.TEXT).setText(captionTexts.get(caption))
          .setK(10).setForceEncode(true).build());
      queries.pipeInput("i-enc", query("i-enc").setModality(Modality.IMAGE).setImageBytes(ByteBuffer.wrap(
          imageBytes(picture))).setK(10).setForceEncode(true).build());
      Map<String, QueryResult> encoded = byId(answer());

      // Then both are encoded, and the hits are the same items in the same order with the same scores
      assertThat(text.encoded.get()).isEqualTo(1);
      assertThat(image.encoded.get()).isEqualTo(1);
      for (String q : List.of("t", "i")) {
        QueryResult a = reused.get(q);
        QueryResult b = encoded.get(q + "-enc");
        assertThat(a.getError()).isNull();
        assertThat(b.getError()).isNull();
        assertThat(b.getReusedId()).isNull();
        assertThat(a.getHits()).hasSize(10);
        assertThat(a.getHits()).extracting(h -> h.getId()).containsExactlyElementsOf(
            b.getHits().stream().map(h -> h.getId()).toList());
        for (int k = 0; k < 10; k++) {
          assertThat(a.getHits().get(k).getScore()).isCloseTo(b.getHits().get(k).getScore(),
              org.assertj.core.data.Offset.offset(1e-4f));
        }
      }
      // and the metrics count two reused and two encoded
      driver.advanceWallClockTime(Duration.ofSeconds(10));
      Map<String, Double> m = new HashMap<>();
      metrics.readValuesToList().forEach(e -> m.merge(e.getName(), e.getValue(), Double::sum));
      assertThat(m).containsEntry("query.encode.reused", 2.0).containsEntry("query.encode.encoded", 2.0);
      assertThat(rejected.isEmpty()).isTrue();
    } finally {
      text.close();
      image.close();
    }
  }

  @Test
  void shouldEncodeAQueryWhoseContentIsUnknownOrWasEncodedByAnotherEncoder() throws Exception {
    // Given galleries whose items carry their content hashes, but the first caption encoded by another text encoder
    // (another checksum) and no other caption with its text; encoders that count what they encode
    driver.close();
    Counting<String> text = new Counting<>(encoders.text(), String[]::new);
    Counting<java.awt.image.BufferedImage> image = new Counting<>(encoders.image(),
        java.awt.image.BufferedImage[]::new);
    start(new GalleryIndex(false, projector), new GalleryIndex(false, projector), new Encoders(text, image));
    try {
      fillGalleriesWithContentHashes(encoders.text().info());
      EncoderInfo mine = encoders.text().info();
      EncoderInfo another = new EncoderInfo(mine.name(), mine.version(), mine.dimension(), "another");
      texts.pipeInput(captionIds.get(0), Embedding.newBuilder(embedding(captionIds.get(0), Modality.TEXT, another,
          captionVectors.get(0), "dev")).setContentHash(ContentHash.ofCaption(null, "en", captionTexts.get(0)))
          .build());
      assertThat(captionTexts.subList(1, captionTexts.size())).doesNotContain(captionTexts.get(0));
      mappings.pipeInput("default", mapping(3, HubnessCorrection.NONE));

      // When a caption's text is asked for (its item is another encoder's), and an image whose bytes no item has
      queries.pipeInput("t", query("t").setModality(Modality.TEXT).setText(captionTexts.get(0)).build());
      byte[] changed = imageBytes(1);
      byte[] padded = java.util.Arrays.copyOf(changed, changed.length + 1); // a byte after the JPEG's end
      queries.pipeInput("i", query("i").setModality(Modality.IMAGE).setImageBytes(ByteBuffer.wrap(padded)).build());
      queries.pipeInput("u", query("u").setModality(Modality.TEXT).setText("a kangaroo plays the cello").build());
      Map<String, QueryResult> out = byId(answer());

      // Then each is encoded
      assertThat(out).containsOnlyKeys("t", "i", "u");
      assertThat(out.values()).allSatisfy(r -> {
        assertThat(r.getError()).isNull();
        assertThat(r.getReusedId()).isNull();
        assertThat(r.getHits()).hasSize(5);
      });
      assertThat(text.encoded.get()).isEqualTo(2);
      assertThat(image.encoded.get()).isEqualTo(1);
    } finally {
      text.close();
      image.close();
    }
  }

  @Test
  void shouldNeverReturnADeletedImageOrCaptionAgain() {
    fillGalleries();
    mappings.pipeInput("default", mapping(3, HubnessCorrection.invertedSoftmax(30)));
    queries.pipeInput("before", query("before").setModality(Modality.TEXT).setExistingId(captionIds.get(0)).setK(6)
        .build());
    queries.pipeInput("before-i", query("before-i").setModality(Modality.IMAGE).setExistingId(imageIds.get(1))
        .setK(6).build());
    Map<String, QueryResult> before = byId(answer());
    String deletedImage = before.get("before").getHits().get(0).getId();
    String deletedCaption = before.get("before-i").getHits().get(0).getId();

    // When the best image of the first query and the best caption of the second are deleted (tombstones)
    images.pipeInput(deletedImage, (Embedding) null);
    texts.pipeInput(deletedCaption, (Embedding) null);
    queries.pipeInput("after", query("after").setModality(Modality.TEXT).setExistingId(captionIds.get(0)).build());
    queries.pipeInput("after-i", query("after-i").setModality(Modality.IMAGE).setExistingId(imageIds.get(1))
        .build());
    Map<String, QueryResult> after = byId(answer());

    // Then they are gone, and every other item keeps its rank and score
    assertThat(after.get("after").getHits()).isEqualTo(before.get("before").getHits().subList(1, 6));
    assertThat(after.get("after-i").getHits()).isEqualTo(before.get("before-i").getHits().subList(1, 6));
    assertThat(rejected.isEmpty()).isTrue();
  }

  @Test
  void shouldHoldTheGalleriesWhileItsTaskRunsAndReleaseEveryVectorWhenItCloses() {
    // Given the instance's galleries, filled through the embeddings topics and searched by its query task
    stop();
    GalleryIndex imageGallery = new GalleryIndex(false, projector);
    GalleryIndex textGallery = new GalleryIndex(false, projector);
    start(imageGallery, textGallery);
    fillGalleries();
    mappings.pipeInput("default", mapping(3, HubnessCorrection.NONE));
    queries.pipeInput("q", query("q").setModality(Modality.TEXT).setExistingId(captionIds.get(0)).build());
    assertThat(answer()).singleElement().satisfies(r -> assertThat(r.getHits()).hasSize(5));
    assertThat(imageGallery.size()).isEqualTo(N);
    assertThat(textGallery.size()).isEqualTo(captionIds.size());

    // When the task closes (the service stops, or the task moves to another instance)
    driver.close();

    // Then no vector is left in memory, and the global stores' updates are no longer followed
    assertThat(imageGallery.held()).isFalse();
    assertThat(imageGallery.size()).isZero();
    assertThat(textGallery.size()).isZero();
    start();
  }

  @Test
  void shouldNeverReportAPartOfAQueryLongerThanItsWhole() throws Exception {
    // Given a mapping just published (the first search projects the whole gallery) and a client whose clock is an
    // hour ahead of the service's
    fillGalleries();
    mappings.pipeInput("default", mapping(3, HubnessCorrection.invertedSoftmax(30)));
    Instant ahead = T0.plus(Duration.ofHours(1));

    // When one batch holds an image query, a text query, a query for an existing caption, and a bad query
    queries.pipeInput("img", query("img").setSentAt(ahead).setModality(Modality.IMAGE)
        .setImageBytes(ByteBuffer.wrap(Files.readAllBytes(FLICKR.resolve("images").resolve(imageIds.get(2)))))
        .build());
    queries.pipeInput("txt", query("txt").setSentAt(ahead).setModality(Modality.TEXT).setText(captionTexts.get(3))
        .build());
    queries.pipeInput("old", query("old").setSentAt(ahead).setModality(Modality.TEXT)
        .setExistingId(captionIds.get(4)).build());
    queries.pipeInput("bad", query("bad").setSentAt(ahead).setModality(Modality.TEXT).setK(0).setText("a dog")
        .build());
    Map<String, QueryResult> out = byId(answer());

    // Then every result's encode and search lie within its total, measured on the service's own clock
    assertThat(out).containsOnlyKeys("img", "txt", "old", "bad");
    assertThat(out.values()).allSatisfy(r -> {
      assertThat(r.getEncodeMicros() + r.getSearchMicros()).as(r.getQueryId()).isLessThanOrEqualTo(r.getTotalMicros());
      assertThat(r.getTotalMicros()).as(r.getQueryId()).isPositive();
      // completedAt is the batch's wall-clock start (the service's: T0, when the fourth query filled the batch) plus
      // the total, whatever the client's clock said
      assertThat(r.getCompletedAt()).isEqualTo(T0.plusMillis(r.getTotalMicros() / 1000));
    });
    for (String answered : List.of("img", "txt", "old")) {
      assertThat(out.get(answered).getError()).isNull();
      assertThat(out.get(answered).getEncodeMicros()).as(answered).isPositive();
      assertThat(out.get(answered).getSearchMicros()).as(answered).isPositive();
    }
    assertThat(out.get("bad").getEncodeMicros()).isZero();
    assertThat(out.get("bad").getSearchMicros()).isZero();
  }

  @Test
  void shouldSkipARecordOfAnotherEventTypeOnTheQueryTopicAndAnswerTheNext() {
    // before: a CaptionEvent on xmodal.queries crash-looped query-stream with a ClassCastException
    fillGalleries();
    mappings.pipeInput("default", mapping(3, HubnessCorrection.NONE));
    TopicCatalogue topics = TopicCatalogue.create(platform.topics(), new PlainAvroSerdes());
    var raw = driver.createInputTopic(topics.queries().name(), new StringSerializer(),
        new org.apache.kafka.common.serialization.ByteArraySerializer());
    raw.pipeInput("c", new PlainAvroSerdes().valueSerde(io.xmodal.schemas.CaptionEvent.class).serializer().serialize(
        "t", io.xmodal.schemas.CaptionEvent.newBuilder().setCaptionId("c").setText("a dog").setSource("s")
            .setProducedAt(T0).build()));
    queries.pipeInput("ok", query("ok").setModality(Modality.TEXT).setText("a dog").build());

    assertThat(answer()).extracting(QueryResult::getQueryId).containsExactly("ok");
    assertThat(rejected.isEmpty()).isTrue();
  }

  private static Map<String, QueryResult> byId(List<QueryResult> results) {
    Map<String, QueryResult> out = new HashMap<>();
    results.forEach(r -> out.put(r.getQueryId(), r));
    return out;
  }

  @Test
  void shouldServeAGmlpMapExactlyAsTheLibraryProjectsIt() {
    float[][][] p = pairs();
    float[][] x = p[0];
    float[][] y = p[1];
    LinearMap start = Fits.cca(SufficientStats.of(x, y), 0.3).map(32, 1);
    GmlpMap map = new GmlpMap(new io.xmodal.mapping.Variant.Opaque("text-gmlp h=16"), start.muX(), start.muY(), start.a(), start.b(),
        GmlpMap.Block.random(32, 16, 0.2, new java.util.Random(4)), HubnessCorrection.NONE);
    fillGalleries();
    mappings.pipeInput("default", MappingCodec.toAvro(map, new MappingCodec.Meta("default", 5,
        identity(encoders.text().info()), identity(encoders.image().info()), x.length, Map.of("rsum", 400.0), T0,
        null)));
    int[] asked = {0, 13, 101, 222};
    for (int c : asked) {
      queries.pipeInput("g" + c, query("g" + c).setModality(Modality.TEXT).setExistingId(captionIds.get(c)).build());
    }

    Map<String, QueryResult> byId = new HashMap<>();
    answer().forEach(r -> byId.put(r.getQueryId(), r));

    float[][] gallery = new float[imageVectors.size()][];
    for (int i = 0; i < gallery.length; i++) {
      gallery[i] = Vectors.l2(imageVectors.get(i));
    }
    var projected = map.projectImages(Nd4j.create(gallery).castTo(DataType.FLOAT));
    for (int c : asked) {
      var q = map.projectText(Nd4j.create(new float[][] {x[c]}).castTo(DataType.FLOAT));
      float[] scores = projected.mmul(q.transpose()).data().asFloat();
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < scores.length; i++) {
        order.add(i);
      }
      order.sort((i, j) -> Float.compare(scores[j], scores[i]));
      QueryResult r = byId.get("g" + c);
      assertThat(r.getError()).isNull();
      assertThat(r.getMappingVersion()).isEqualTo(5L);
      assertThat(r.getHits()).extracting(h -> h.getId())
          .containsExactlyElementsOf(order.subList(0, 5).stream().map(imageIds::get).toList());
      for (int k = 0; k < 5; k++) {
        assertThat(r.getHits().get(k).getScore()).isCloseTo(scores[order.get(k)],
            org.assertj.core.data.Offset.offset(1e-4f));
      }
    }
  }

  @Test
  void shouldSwapToANewVersionWithoutRestartingAndHonourTheGalleryFilter() {
    fillGalleries();
    mappings.pipeInput("default", mapping(1, HubnessCorrection.NONE));
    queries.pipeInput("a", query("a").setModality(Modality.TEXT).setText("a dog").setGallery("even").build());
    List<QueryResult> first = answer();

    mappings.pipeInput("default", mapping(2, HubnessCorrection.invertedSoftmax(30)));
    queries.pipeInput("b", query("b").setModality(Modality.TEXT).setText("a dog").setGallery("even").build());
    List<QueryResult> second = answer();

    assertThat(first).singleElement().satisfies(r -> assertThat(r.getMappingVersion()).isEqualTo(1L));
    assertThat(second).singleElement().satisfies(r -> assertThat(r.getMappingVersion()).isEqualTo(2L));
    for (QueryResult r : List.of(first.get(0), second.get(0))) {
      assertThat(r.getHits()).allSatisfy(h -> assertThat(imageIds.indexOf(h.getId()) % 2).isZero());
    }
  }

  /** Holds the projection thread until released: every gallery projection queues behind it. */
  public static java.util.concurrent.CountDownLatch blockProjector(Projector projector) {
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(1);
    projector.execute(() -> {
      running.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    try {
      assertThat(running.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
    return release;
  }

  /** Answers until one comes (the projection thread works meanwhile), at most about 20 s. */
  List<QueryResult> answerOnceReady() throws InterruptedException {
    List<QueryResult> out = new ArrayList<>();
    for (int i = 0; i < 200 && out.isEmpty(); i++) {
      Thread.sleep(100);
      out = answer();
    }
    return out;
  }

  @Test
  void shouldAnswerWithTheVersionBeforeWhileANewVersionsGalleryIsProjectedOffTheStreamThread() throws Exception {
    // Given v1 live and answering
    driver.close();
    GalleryIndex imageIndex = new GalleryIndex(false, projector);
    start(imageIndex, new GalleryIndex(false, projector));
    fillGalleries();
    mappings.pipeInput("default", mapping(1, HubnessCorrection.NONE));
    queries.pipeInput("a", query("a").setModality(Modality.TEXT).setText("a dog").build());
    assertThat(answer()).singleElement().satisfies(r -> assertThat(r.getMappingVersion()).isEqualTo(1L));

    // When v2 comes while the projection thread is busy (as with a gallery too large to project in a transaction)
    java.util.concurrent.CountDownLatch release = blockProjector(projector);
    List<QueryResult> meanwhile;
    try {
      mappings.pipeInput("default", mapping(2, HubnessCorrection.invertedSoftmax(30)));
      queries.pipeInput("b", query("b").setModality(Modality.TEXT).setText("a dog").build());
      meanwhile = answer();
    } finally {
      release.countDown();
    }

    // Then the query is answered with v1 at once (after XMODAL_QUERY_PREPARE_WAIT), not held up by the projection
    assertThat(meanwhile).singleElement().satisfies(r -> {
      assertThat(r.getMappingVersion()).isEqualTo(1L);
      assertThat(r.getError()).isNull();
      assertThat(r.getHits()).hasSize(5);
    });
    // and once v2's gallery is projected, queries are answered with v2
    List<QueryResult> later = new ArrayList<>();
    for (int i = 0; i < 100 && later.stream().noneMatch(r -> r.getMappingVersion() == 2L); i++) {
      Thread.sleep(100);
      queries.pipeInput("c" + i, query("c" + i).setModality(Modality.TEXT).setText("a dog").build());
      later.addAll(answer());
    }
    assertThat(later).last().satisfies(r -> assertThat(r.getMappingVersion()).isEqualTo(2L));
    assertThat(later).allSatisfy(r -> assertThat(r.getError()).isNull());
    // and v1's projection is gone once v2 serves: one projected image gallery, v2's
    assertThat(imageIndex.projections()).isEqualTo(1);
    assertThat(imageIndex.existing("default", 1)).isNull();
    assertThat(imageIndex.existing("default", 2)).isNotNull();
  }

  @Test
  void shouldWaitForProjectionsAtMostThePrepareWaitInAllWhicheverGalleriesABatchNeeds() throws Exception {
    // Given v1 live and answering both ways
    fillGalleries();
    mappings.pipeInput("default", mapping(1, HubnessCorrection.NONE));
    queries.pipeInput("a", query("a").setModality(Modality.TEXT).setText("a dog").build());
    queries.pipeInput("b", query("b").setModality(Modality.IMAGE).setExistingId(imageIds.get(0)).build());
    assertThat(answer()).hasSize(2);

    // When v2 comes while the projection thread is busy, and a batch needs both its galleries
    java.util.concurrent.CountDownLatch release = blockProjector(projector);
    List<QueryResult> meanwhile;
    try {
      mappings.pipeInput("default", mapping(2, HubnessCorrection.NONE));
      queries.pipeInput("c", query("c").setModality(Modality.TEXT).setText("a dog").build());
      queries.pipeInput("d", query("d").setModality(Modality.IMAGE).setExistingId(imageIds.get(0)).build());
      projector.resetWaitBudget();
      meanwhile = answer();
    } finally {
      release.countDown();
    }

    // Then both are answered with v1, and the stream thread waited for the two projections no longer in all than
    // XMODAL_QUERY_PREPARE_WAIT (2 s), not that long for each
    assertThat(meanwhile).extracting(QueryResult::getMappingVersion).containsExactly(1L, 1L);
    assertThat(config.prepareWait()).isEqualTo(Duration.ofSeconds(2));
    assertThat(projector.waitedNanos()).isGreaterThanOrEqualTo(Duration.ofSeconds(2).toNanos())
        .isLessThan(Duration.ofSeconds(3).toNanos());
  }

  @Test
  void shouldHoldQueriesWhileTheOnlyVersionsGalleryIsProjectedAndAnswerEachOnceWhenReady() throws Exception {
    // Given a version whose gallery is being projected (the projection thread busy), none ready before it
    fillGalleries();
    var changelog = driver.createOutputTopic(config.applicationId() + "-" + QueryTopology.BUFFER_STORE + "-changelog",
        new org.apache.kafka.common.serialization.StringDeserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer());
    java.util.concurrent.CountDownLatch release = blockProjector(projector);
    List<QueryResult> meanwhile = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    long storedWhileHeld;
    try {
      mappings.pipeInput("default", mapping(1, HubnessCorrection.NONE));
      // more queries than a batch (4 here)
      for (int i = 0; i < 10; i++) {
        ids.add("q" + i);
        queries.pipeInput("q" + i, query("q" + i).setModality(Modality.TEXT).setText("a dog " + i).build());
      }
      meanwhile.addAll(answer());
      assertThat(changelog.readRecordsToList()).as("the store's changelog: each query stored as it came")
          .hasSizeGreaterThanOrEqualTo(10);

      // When punctuations come while it is projected
      for (int i = 0; i < 5; i++) {
        meanwhile.addAll(answer());
        Thread.sleep(100);
      }
      storedWhileHeld = changelog.getQueueSize();
    } finally {
      release.countDown();
    }

    // Then no query is answered (nor failed) before the gallery is ready, the held queries are not stored again
    // meanwhile, and each is answered once after, a batch at a time
    assertThat(meanwhile).isEmpty();
    assertThat(storedWhileHeld).isZero();
    List<QueryResult> out = new ArrayList<>(answerOnceReady());
    for (int i = 0; i < 5; i++) {
      out.addAll(answer());
    }
    assertThat(out).extracting(QueryResult::getQueryId).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(out).allSatisfy(r -> {
      assertThat(r.getMappingVersion()).isEqualTo(1L);
      assertThat(r.getError()).isNull();
    });
    assertThat(rejected.isEmpty()).isTrue();
  }

  @Test
  void shouldAnswerWithAnErrorWhenNoMappingIsLiveYet() {
    fillGalleries();
    queries.pipeInput("x", query("x").setModality(Modality.TEXT).setText("a dog").build());

    assertThat(answer()).singleElement().satisfies(r -> {
      assertThat(r.getHits()).isEmpty();
      assertThat(r.getError()).contains("no mapping named 'default'").contains("none is published yet");
    });
    assertThat(rejected.isEmpty()).isTrue();
  }

  @Test
  void shouldAnswerAQueryForAnUnknownMappingWithTheNamesThatExist() {
    fillGalleries();
    mappings.pipeInput("default", mapping(1, HubnessCorrection.NONE));
    queries.pipeInput("x", query("x").setModality(Modality.TEXT).setText("a dog").setMappingName("nope").build());

    assertThat(answer()).singleElement().satisfies(r -> {
      assertThat(r.getHits()).isEmpty();
      assertThat(r.getError()).startsWith("no mapping named 'nope'").contains("published are: default")
          .doesNotContain("published yet");
    });
  }

  @Test
  void shouldRefuseAnEmptyImageAndATextOverTheLimitByName() {
    fillGalleries();
    mappings.pipeInput("default", mapping(1, HubnessCorrection.NONE));
    queries.pipeInput("empty", query("empty").setModality(Modality.IMAGE)
        .setImageBytes(java.nio.ByteBuffer.wrap(new byte[0])).build());
    queries.pipeInput("long", query("long").setModality(Modality.TEXT).setText("a dog ".repeat(200) + "x").build());

    Map<String, String> errors = new HashMap<>();
    answer().forEach(r -> errors.put(r.getQueryId(), r.getError()));
    assertThat(errors).containsOnlyKeys("empty", "long");
    assertThat(errors.get("empty")).startsWith("empty image");
    assertThat(errors.get("long")).contains("1201 characters").contains("limit of 1000")
        .contains("XMODAL_QUERY_MAX_TEXT_CHARS");
    assertThat(rejected.readValuesToList()).extracting(Rejection::getKey).containsExactlyInAnyOrder("empty", "long");
  }

  @Test
  void shouldRefuseABadQueryWithAnErrorResultAndADeadLetter() {
    fillGalleries();
    mappings.pipeInput("default", mapping(1, HubnessCorrection.NONE));
    queries.pipeInput("bad", query("bad").setModality(Modality.TEXT).setText("dog")
        .setExistingId(captionIds.get(0)).build());
    queries.pipeInput("bigk", query("bigk").setModality(Modality.TEXT).setText("dog").setK(100_000).build());

    List<QueryResult> out = answer();
    assertThat(out).extracting(QueryResult::getQueryId).containsExactlyInAnyOrder("bad", "bigk");
    assertThat(out).allSatisfy(r -> assertThat(r.getError()).isNotBlank());
    assertThat(rejected.readValuesToList()).extracting(Rejection::getKey, Rejection::getReason)
        .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("bad", RejectReason.OTHER),
            org.assertj.core.groups.Tuple.tuple("bigk", RejectReason.OTHER));
  }

  @Test
  void shouldPublishLatencyAndOnlineRecallEveryWindow() {
    fillGalleries();
    mappings.pipeInput("default", mapping(4, HubnessCorrection.NONE));
    for (int i = 0; i < 20; i++) {
      queries.pipeInput("q" + i, query("q" + i).setModality(Modality.TEXT).setText(captionTexts.get(i * 5))
          .setExpectedIds(List.of(captionImage.get(i * 5))).setK(10).build());
    }
    answer();
    driver.advanceWallClockTime(Duration.ofSeconds(10));

    Map<String, Double> m = new HashMap<>();
    metrics.readValuesToList().forEach(e -> m.put(e.getName(), e.getValue()));
    assertThat(m).containsEntry("query.count", 20.0).containsEntry("gallery.images", (double) N)
        .containsEntry("mapping.live.version", 4.0).containsEntry("query.online.t2i.judged", 20.0)
        .containsKeys("query.qps", "query.latency.p50", "query.latency.p99", "query.online.t2i.r1",
            "query.online.t2i.r10");
    assertThat(m.get("query.online.t2i.r10")).isGreaterThanOrEqualTo(m.get("query.online.t2i.r1"));
    assertThat(m.get("query.online.t2i.r10")).isGreaterThan(50);
  }
}
