package io.xmodal.query.sharded;

import static io.xmodal.query.replicated.QueryTopologyTest.T0;
import static io.xmodal.query.replicated.QueryTopologyTest.captionIds;
import static io.xmodal.query.replicated.QueryTopologyTest.captionTexts;
import static io.xmodal.query.replicated.QueryTopologyTest.captionVectors;
import static io.xmodal.query.replicated.QueryTopologyTest.embedding;
import static io.xmodal.query.replicated.QueryTopologyTest.encoders;
import static io.xmodal.query.replicated.QueryTopologyTest.imageIds;
import static io.xmodal.query.replicated.QueryTopologyTest.imageVectors;
import static io.xmodal.query.replicated.QueryTopologyTest.mapping;
import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.mapping.HubnessCorrection;
import io.xmodal.mapping.Vectors;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.serde.PlainAvroSerdes;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.query.QueryConfig;
import io.xmodal.query.QueryMode;
import io.xmodal.query.gallery.DecodedMapping;
import io.xmodal.query.gallery.GalleryIndex;
import io.xmodal.query.gallery.ProjectedGallery;
import io.xmodal.query.replicated.QueryTopologyTest;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.EncoderKeys;
import io.xmodal.schemas.Hit;
import io.xmodal.schemas.MappingModel;
import io.xmodal.schemas.Modality;
import io.xmodal.schemas.Query;
import io.xmodal.schemas.QueryResult;
import io.xmodal.schemas.Rejection;
import io.xmodal.schemas.ShardPartial;
import io.xmodal.schemas.ShardPartialKind;
import io.xmodal.schemas.ShardRequest;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The sharded topology on TopologyTestDriver, which runs one partition of every topic: the whole path (scatter,
 * shard, gather) with one gallery partition, and the gather and the version rule driven through their internal
 * topics directly, where several partitions are simulated by the records' partition numbers.
 */
class ShardedQueryTopologyTest {

  static final Duration TIMEOUT = Duration.ofSeconds(5);

  @TempDir
  static Path work;

  static QueryConfig config;
  static PlatformConfig platform;

  TopologyTestDriver driver;
  TopicCatalogue topics;
  TestInputTopic<String, Embedding> images;
  TestInputTopic<String, Embedding> texts;
  TestInputTopic<String, MappingModel> mappings;
  TestInputTopic<String, Query> queries;
  TestInputTopic<String, ShardRequest> shards;
  TestInputTopic<String, ShardPartial> partials;
  TestOutputTopic<String, QueryResult> results;
  TestOutputTopic<String, Rejection> rejected;

  @BeforeAll
  static void encodeSomeDevData() throws Exception {
    QueryTopologyTest.work = work;
    QueryTopologyTest.encodeSomeDevData();
    ConfigSource source = ConfigSource.of(Map.of("XMODAL_WORK_DIR", work.toString(), "KAFKA_BOOTSTRAP_SERVERS",
        "ttd:9092", "XMODAL_SHARED_DIR", QueryTopologyTest.SHARED.toString(), "XMODAL_DEVICE", "cpu",
        "XMODAL_QUERY_BATCH_SIZE", "4", "XMODAL_QUERY_MAX_WAIT", "50ms", "XMODAL_METRICS_INTERVAL", "1h",
        "XMODAL_QUERY_MODE", "sharded", "XMODAL_QUERY_GATHER_TIMEOUT", "5s", "XMODAL_PARTITIONS", "1"))
        // the single models: the topology is under test, not the default composite encoders (encoders' own tests)
        .with(Map.of("XMODAL_TEXT_MODEL", "minilm_l6_v2", "XMODAL_IMAGE_ENCODER", "mobilenetv2"));
    platform = PlatformConfig.from(source);
    config = QueryConfig.from(source, platform);
    assertThat(config.mode()).isEqualTo(QueryMode.SHARDED);
  }

  @AfterAll
  static void closeEncoders() {
    QueryTopologyTest.closeEncoders();
  }

  /** This test's gallery partitions and their projector (a new one per test, as the topology's builder makes). */
  final ShardIndexes indexes = new ShardIndexes();

  @BeforeEach
  void start() {
    topics = TopicCatalogue.create(platform.topics(), new PlainAvroSerdes());
    Properties props = config.streamsProperties(platform, topics);
    props.put("state.dir", work.resolve("state-" + System.nanoTime()).toString());
    driver = new TopologyTestDriver(ShardedQueryTopology.buildTopology(config, topics, encoders, indexes), props, T0);
    images = input(topics.imageEmbeddings().name(), topics.imageEmbeddings().valueSerde().serializer());
    texts = input(topics.textEmbeddings().name(), topics.textEmbeddings().valueSerde().serializer());
    mappings = input(topics.mappings().name(), topics.mappings().valueSerde().serializer());
    queries = input(topics.queries().name(), topics.queries().valueSerde().serializer());
    shards = input(topics.queryShards().name(), topics.queryShards().valueSerde().serializer());
    partials = input(topics.queryPartials().name(), topics.queryPartials().valueSerde().serializer());
    results = driver.createOutputTopic(topics.results().name(), topics.results().keySerde().deserializer(),
        topics.results().valueSerde().deserializer());
    rejected = driver.createOutputTopic(topics.rejected().name(), topics.rejected().keySerde().deserializer(),
        topics.rejected().valueSerde().deserializer());
  }

  private <V> TestInputTopic<String, V> input(String name, org.apache.kafka.common.serialization.Serializer<V> s) {
    return driver.createInputTopic(name, new StringSerializer(), s);
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  void fillGalleries() {
    for (int i = 0; i < imageIds.size(); i++) {
      images.pipeInput(imageIds.get(i), embedding(imageIds.get(i), Modality.IMAGE, encoders.image().info(),
          imageVectors.get(i), "dev"));
    }
    for (int i = 0; i < captionIds.size(); i++) {
      texts.pipeInput(captionIds.get(i), embedding(captionIds.get(i), Modality.TEXT, encoders.text().info(),
          captionVectors.get(i), "dev"));
    }
  }

  List<QueryResult> tick() {
    driver.advanceWallClockTime(Duration.ofMillis(60));
    return results.readValuesToList();
  }

  /** What one index over the whole gallery answers with {@code model} (replicated mode's search). */
  static List<Hit> singleIndex(MappingModel model, boolean textQuery, float[] query, int k) {
    GalleryIndex index = new GalleryIndex();
    index.acquire(each -> { });
    Map<String, float[]> raw = new HashMap<>();
    List<String> ids = textQuery ? imageIds : captionIds;
    List<float[]> vectors = textQuery ? imageVectors : captionVectors;
    for (int i = 0; i < ids.size(); i++) {
      Embedding e = embedding(ids.get(i), textQuery ? Modality.IMAGE : Modality.TEXT,
          textQuery ? encoders.image().info() : encoders.text().info(), vectors.get(i), "dev");
      index.put(e);
      raw.put(ids.get(i), Vectors.l2(vectors.get(i)));
    }
    DecodedMapping d = DecodedMapping.of(model);
    ProjectedGallery g = new ProjectedGallery(index, d.map(), textQuery,
        EncoderKeys.of(textQuery ? model.getImageEncoder() : model.getTextEncoder()),
        textQuery ? d.references().text() : d.references().images(), d.references().mapped());
    List<Hit> out = new ArrayList<>();
    for (Map.Entry<String, Float> h : g.search(Nd4j.create(new float[][] {Vectors.l2(query)}), k, null, raw::get)
        .get(0)) {
      out.add(Hit.newBuilder().setId(h.getKey()).setScore(h.getValue()).build());
    }
    return out;
  }

  static Query.Builder query(String id) {
    return Query.newBuilder().setQueryId(id).setSentAt(T0).setK(5);
  }

  @Test
  void shouldScatterEncodeOnceAndGatherExactlyOneResultPerQueryWithTheSingleIndexHits() {
    // Given both galleries and a mapping with a hubness correction
    fillGalleries();
    MappingModel v3 = mapping(3, HubnessCorrection.invertedSoftmax(30));
    mappings.pipeInput("default", v3);

    // When a text query, queries for an existing caption and image, one for an unknown id and a bad one arrive
    queries.pipeInput("t", query("t").setModality(Modality.TEXT).setText(captionTexts.get(3)).build());
    queries.pipeInput("ec", query("ec").setModality(Modality.TEXT).setExistingId(captionIds.get(7)).build());
    queries.pipeInput("ei", query("ei").setModality(Modality.IMAGE).setExistingId(imageIds.get(2)).build());
    queries.pipeInput("unknown", query("unknown").setModality(Modality.TEXT).setExistingId("nope").build());
    queries.pipeInput("bad", query("bad").setModality(Modality.TEXT).setK(0).setText("a dog").build());
    List<QueryResult> out = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      out.addAll(tick());
    }

    // Then each query has exactly one result
    assertThat(out).extracting(QueryResult::getQueryId).containsExactlyInAnyOrder("t", "ec", "ei", "unknown", "bad");
    Map<String, QueryResult> byId = new HashMap<>();
    out.forEach(r -> byId.put(r.getQueryId(), r));
    // and the answered ones carry the hits and scores of one index over the whole gallery, with the pinned version
    float[] t = encoders.text().newSession().encode(List.of(captionTexts.get(3)))[0];
    assertHits(byId.get("t"), singleIndex(v3, true, t, 5));
    assertHits(byId.get("ec"), singleIndex(v3, true, captionVectors.get(7), 5));
    assertHits(byId.get("ei"), singleIndex(v3, false, imageVectors.get(2), 5));
    for (String id : List.of("t", "ec", "ei")) {
      assertThat(byId.get(id).getMappingVersion()).isEqualTo(3L);
      assertThat(byId.get(id).getPartial()).isFalse();
      assertThat(byId.get(id).getPartitions()).isEqualTo(1);
      assertThat(byId.get(id).getAnsweredPartitions()).containsExactly(0);
      assertThat(byId.get(id).getError()).isNull();
    }
    assertThat(byId.get("unknown").getError()).contains("no caption with id nope");
    assertThat(byId.get("unknown").getHits()).isEmpty();
    assertThat(byId.get("bad").getError()).contains("k must be between");
    // and only the bad query is a dead letter
    assertThat(rejected.readValuesToList()).extracting(Rejection::getMessage).singleElement().asString()
        .contains("k must be between");
    assertThat(tick()).isEmpty();
  }

  static void assertHits(QueryResult r, List<Hit> expected) {
    assertThat(r.getHits()).extracting(Hit::getId).containsExactlyElementsOf(expected.stream().map(Hit::getId)
        .toList());
    for (int i = 0; i < expected.size(); i++) {
      assertThat(r.getHits().get(i).getScore()).isCloseTo(expected.get(i).getScore(),
          org.assertj.core.data.Offset.offset(1e-5f));
    }
  }

  static ShardPartial.Builder scattered(String id, int partitions, int k) {
    return ShardPartial.newBuilder().setQueryId(id).setKind(ShardPartialKind.SCATTERED).setPartition(-1)
        .setPartitions(partitions).setMappingName("default").setMappingVersion(3).setK(k)
        .setModality(Modality.TEXT).setSentAt(T0).setScatteredAt(T0);
  }

  static ShardPartial.Builder answered(String id, int partition, int partitions, Hit... hits) {
    return ShardPartial.newBuilder().setQueryId(id).setKind(ShardPartialKind.ANSWERED).setPartition(partition)
        .setPartitions(partitions).setMappingName("default").setMappingVersion(3).setHits(List.of(hits));
  }

  static Hit hit(String id, float score) {
    return Hit.newBuilder().setId(id).setScore(score).build();
  }

  @Test
  void shouldHoldAPartitionsRequestsWhileItsGalleryIsProjectedOffTheStreamThreadAndAnswerThemOnceReady()
      throws Exception {
    // Given a mapping whose partition gallery is being projected (the projection thread busy)
    fillGalleries();
    MappingModel v3 = mapping(3, HubnessCorrection.invertedSoftmax(30));
    java.util.concurrent.CountDownLatch release = QueryTopologyTest.blockProjector(indexes.projector());
    List<QueryResult> meanwhile = new ArrayList<>();
    try {
      mappings.pipeInput("default", v3);
      queries.pipeInput("t", query("t").setModality(Modality.TEXT).setText(captionTexts.get(3)).build());
      // When the partition's punctuations come meanwhile (within the gather timeout)
      for (int i = 0; i < 4; i++) {
        meanwhile.addAll(tick());
      }
    } finally {
      release.countDown();
    }

    // Then nothing is answered before the gallery is ready, and then exactly one full answer with the pinned version
    assertThat(meanwhile).isEmpty();
    List<QueryResult> out = new ArrayList<>();
    for (int i = 0; i < 200 && out.isEmpty(); i++) {
      Thread.sleep(50);
      out.addAll(tick());
    }
    out.addAll(tick());
    assertThat(out).singleElement().satisfies(r -> {
      assertThat(r.getQueryId()).isEqualTo("t");
      assertThat(r.getMappingVersion()).isEqualTo(3L);
      assertThat(r.getPartial()).isFalse();
    });
    float[] t = encoders.text().newSession().encode(List.of(captionTexts.get(3)))[0];
    assertHits(out.get(0), singleIndex(v3, true, t, 5));
  }

  @Test
  void shouldMergeThePartialsOfEveryPartitionWhicheverArrivesFirst() {
    // Given two partitions' answers that arrive before the scatter's own record
    partials.pipeInput("q", answered("q", 1, 2, hit("b", 0.9f), hit("d", 0.5f)).build());
    partials.pipeInput("q", answered("q", 0, 2, hit("a", 0.95f), hit("c", 0.6f), hit("e", 0.1f)).build());
    assertThat(results.isEmpty()).isTrue();

    // When the scatter's record arrives
    partials.pipeInput("q", scattered("q", 2, 3).build());

    // Then one result: the best three of both, every partition answered
    QueryResult r = results.readValue();
    assertThat(r.getHits()).containsExactly(hit("a", 0.95f), hit("b", 0.9f), hit("c", 0.6f));
    assertThat(r.getAnsweredPartitions()).containsExactly(0, 1);
    assertThat(r.getPartial()).isFalse();
    assertThat(r.getMappingVersion()).isEqualTo(3L);
    assertThat(results.isEmpty()).isTrue();
  }

  @Test
  void shouldAnswerPartiallyWhenAPartitionHasNotAnsweredWithinTheTimeoutAndNeverTwice() {
    // Given a query scattered to three partitions, two of which answer
    partials.pipeInput("q", scattered("q", 3, 2).build());
    partials.pipeInput("q", answered("q", 0, 3, hit("a", 0.5f)).build());
    partials.pipeInput("q", answered("q", 2, 3, hit("c", 0.7f), hit("x", 0.1f)).build());

    // When less than the timeout has passed, nothing; when it has passed, the result says which answered
    driver.advanceWallClockTime(TIMEOUT.minusMillis(600));
    assertThat(results.isEmpty()).isTrue();
    driver.advanceWallClockTime(Duration.ofMillis(1000));
    QueryResult r = results.readValue();
    assertThat(r.getHits()).containsExactly(hit("c", 0.7f), hit("a", 0.5f));
    assertThat(r.getPartial()).isTrue();
    assertThat(r.getPartitions()).isEqualTo(3);
    assertThat(r.getAnsweredPartitions()).containsExactly(0, 2);

    // Then the late partition's answer never makes a second result
    partials.pipeInput("q", answered("q", 1, 3, hit("b", 0.99f)).build());
    driver.advanceWallClockTime(Duration.ofMinutes(2));
    assertThat(results.isEmpty()).isTrue();
  }

  ShardRequest request(String id, long version, float[] vector) {
    return ShardRequest.newBuilder().setQueryId(id).setModality(Modality.TEXT).setMappingName("default")
        .setMappingVersion(version).setPartitions(1).setVector(ShardVectors.toBytes(Vectors.l2(vector))).setK(10)
        .setScatteredAt(T0).build();
  }

  @Test
  void shouldAnswerWithTheVersionPinnedAtScatterWhenTheMappingSwapsMidQuery() {
    // Given the galleries, version 3 live, and a query scattered with it (it waits in the shard's batch)
    fillGalleries();
    MappingModel v3 = mapping(3, HubnessCorrection.NONE);
    MappingModel v4 = mapping(4, HubnessCorrection.invertedSoftmax(30));
    mappings.pipeInput("default", v3);
    queries.pipeInput("mid", query("mid").setModality(Modality.TEXT).setExistingId(captionIds.get(11)).build());
    assertThat(tick()).isEmpty();

    // When version 4 is published before the shard searches
    mappings.pipeInput("default", v4);
    List<QueryResult> out = new ArrayList<>(tick());
    out.addAll(tick());

    // Then the result is version 3's, as one index with version 3 ranks and scores
    assertThat(out).singleElement().satisfies(r -> {
      assertThat(r.getMappingVersion()).isEqualTo(3L);
      assertHits(r, singleIndex(v3, true, captionVectors.get(11), 5));
    });
    // and a query scattered now gets version 4's
    queries.pipeInput("after", query("after").setModality(Modality.TEXT).setExistingId(captionIds.get(11)).build());
    out = new ArrayList<>(tick());
    out.addAll(tick());
    out.addAll(tick());
    assertThat(out).singleElement().satisfies(r -> {
      assertThat(r.getMappingVersion()).isEqualTo(4L);
      assertHits(r, singleIndex(v4, true, captionVectors.get(11), 5));
    });
  }

  @Test
  void shouldNeverMixVersionsWaitForAVersionNotSeenYetAndLeaveOutOneNoLongerHeld() {
    fillGalleries();
    mappings.pipeInput("default", mapping(2, HubnessCorrection.NONE));
    mappings.pipeInput("default", mapping(3, HubnessCorrection.NONE));
    mappings.pipeInput("default", mapping(4, HubnessCorrection.NONE));
    Instant now = T0;

    // Given a query pinned to version 2 (two swaps ago) and one pinned to version 5 (not seen here yet)
    for (String id : List.of("v2", "v5")) {
      long v = id.equals("v2") ? 2 : 5;
      partials.pipeInput(id, scattered(id, 1, 5).setMappingVersion(v).setScatteredAt(now).build());
      shards.pipeInput(id, ShardRequest.newBuilder(request(id, v, captionVectors.get(0))).setScatteredAt(now).build());
    }
    assertThat(tick()).isEmpty();

    // When version 5 arrives
    MappingModel v5 = mapping(5, HubnessCorrection.invertedSoftmax(30));
    mappings.pipeInput("default", v5);
    List<QueryResult> out = new ArrayList<>(tick());

    // Then the query pinned to it is answered with it
    assertThat(out).singleElement().satisfies(r -> {
      assertThat(r.getQueryId()).isEqualTo("v5");
      assertThat(r.getMappingVersion()).isEqualTo(5L);
      assertThat(r.getPartial()).isFalse();
      assertHits(r, singleIndex(v5, true, captionVectors.get(0), 5));
    });

    // and the one pinned to version 2 gets no hits of another version: at the timeout, a partial result without
    // the partition that could not answer it
    driver.advanceWallClockTime(TIMEOUT);
    assertThat(results.readValuesToList()).singleElement().satisfies(r -> {
      assertThat(r.getQueryId()).isEqualTo("v2");
      assertThat(r.getMappingVersion()).isEqualTo(2L);
      assertThat(r.getPartial()).isTrue();
      assertThat(r.getAnsweredPartitions()).isEmpty();
      assertThat(r.getHits()).isEmpty();
    });
  }
}
