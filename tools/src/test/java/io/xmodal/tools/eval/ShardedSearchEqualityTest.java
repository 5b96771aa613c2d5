package io.xmodal.tools.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.client.dataset.Dataset;
import io.xmodal.client.dataset.Flickr8k;
import io.xmodal.client.dataset.Split;
import io.xmodal.encoders.EncoderSettings;
import io.xmodal.encoders.Encoders;
import io.xmodal.ingest.IngestTestImages;
import io.xmodal.mapping.CrossModalMap;
import io.xmodal.mapping.Fits;
import io.xmodal.mapping.HubnessCorrection;
import io.xmodal.mapping.SufficientStats;
import io.xmodal.query.gallery.GalleryIndex;
import io.xmodal.query.gallery.ProjectedGallery;
import io.xmodal.query.sharded.ShardMerge;
import io.xmodal.query.sharded.ShardPartitioner;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.EncoderIdentity;
import io.xmodal.schemas.EncoderKeys;
import io.xmodal.schemas.Hit;
import io.xmodal.schemas.Modality;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The sharded search equals the single-index search: on the Flickr8k dev split's real embeddings (the encoders of
 * query-stream, through the evaluation's embedding cache: {@code -Dxmodal.embedding.cache=DIR}, or
 * {@code XMODAL_WORK_DIR/cache/embeddings}, reuses one; otherwise the split is encoded first), the gallery is split into 1, 2 and 4 partitions by the partitioner of the
 * embeddings topics, each partition searched by its own {@link ProjectedGallery} as a shard task does, and the partials
 * merged by {@link ShardMerge} as the gather does. Every query's top-10 must be the single index's: the same ids in
 * the same order (but for near-ties, see {@link #assertSameTopK}) and the same scores to float rounding, text→image and image→text, with and without the hubness
 * corrections.
 */
class ShardedSearchEqualityTest {

  static final int K = 10;

  @TempDir
  static Path work;

  static OfflineEvaluation.Embedded dev;
  static CrossModalMap cca;

  @BeforeAll
  static void embedTheDevSplit() {
    // the evaluation's cache (as 'xmodal eval' fills it under XMODAL_WORK_DIR), else encoded here (about 2 minutes)
    String workDir = System.getenv("XMODAL_WORK_DIR");
    Path cacheDir = Path.of(System.getProperty("xmodal.embedding.cache", workDir != null
        ? Path.of(workDir, "cache", "embeddings").toString() : work.resolve("cache").toString()));
    // the single models, not the default composite: what is tested is the sharded search, and they encode the dev
    // split three times faster
    java.util.Map<String, String> env = java.util.Map.of("XMODAL_DEVICE", "cpu", "XMODAL_TEXT_MODEL", "minilm_l6_v2",
        "XMODAL_IMAGE_ENCODER", "mobilenetv2");
    EncoderSettings settings = EncoderSettings.from(name -> java.util.Optional.ofNullable(env.get(name)),
        IngestTestImages.sharedDir(), work);
    // 600 of the 1,000 images and their 3,000 captions (less encoding; the map below needs enough pairs that its
    // near-ties stay rare)
    Dataset data = Flickr8k.load(IngestTestImages.flickr8k(), Split.DEV, 600);
    try (Encoders encoders = Encoders.load(settings)) {
      dev = OfflineEvaluation.embed("dev", data, encoders, new EmbeddingCache(cacheDir, System.out));
    }
    // a 256-d CCA map fitted on the dev pairs (what the trainer publishes most often; any map would do)
    float[][] y = new float[dev.captions().length][];
    for (int c = 0; c < y.length; c++) {
      y[c] = dev.images()[dev.captionImage()[c]];
    }
    cca = Fits.cca(SufficientStats.of(dev.captions(), y), 0.3).map(256, 1);
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (String hubness : List.of("none", "csls", "is")) {
      for (int partitions : new int[] {1, 2, 4}) {
        for (boolean textToImage : new boolean[] {true, false}) {
          out.add(Arguments.of(hubness, partitions, textToImage));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} hubness, {1} partitions, text→image {2}")
  @MethodSource("cases")
  void shardedSearchShouldReturnExactlyTheSingleIndexHitsAndScores(String hubness, int partitions,
                                                                   boolean textToImage) {
    // Given the gallery of one direction, whole and split into partitions by item id
    CrossModalMap map = cca.withHubness(switch (hubness) {
      case "csls" -> HubnessCorrection.csls(10);
      case "is" -> HubnessCorrection.invertedSoftmax(30);
      default -> HubnessCorrection.NONE;
    });
    List<String> ids = textToImage ? dev.imageIds() : dev.captionIds();
    float[][] vectors = textToImage ? dev.images() : dev.captions();
    float[][] queries = textToImage ? dev.captions() : dev.images();
    // reference queries for the penalties: the other modality's first rows, as a mapping carries them
    INDArray references = Nd4j.create(Arrays.copyOf(queries, textToImage ? 2048 : 512)).castTo(DataType.FLOAT);
    Map<String, float[]> raw = new HashMap<>();
    GalleryIndex whole = new GalleryIndex();
    whole.acquire(each -> { });
    GalleryIndex[] shards = new GalleryIndex[partitions];
    for (int p = 0; p < partitions; p++) {
      shards[p] = new GalleryIndex();
      shards[p].acquire(each -> { });
    }
    EncoderIdentity enc = EncoderIdentity.newBuilder().setName("dev").setVersion("1").setDimension(vectors[0].length)
        .setChecksum("dev").build();
    for (int i = 0; i < ids.size(); i++) {
      Embedding e = embedding(ids.get(i), vectors[i], enc, textToImage);
      raw.put(ids.get(i), vectors[i]);
      whole.put(e);
      shards[ShardPartitioner.partitionOf(ids.get(i), partitions)].put(e);
    }
    String key = EncoderKeys.of(enc);
    ProjectedGallery single = new ProjectedGallery(whole, map, textToImage, key, references);
    List<ProjectedGallery> partial = new ArrayList<>();
    for (GalleryIndex shard : shards) {
      partial.add(new ProjectedGallery(shard, map, textToImage, key, references));
    }

    // When every query of the other modality is searched both ways
    int compared = 0;
    int ties = 0;
    for (int from = 0; from < queries.length; from += 500) {
      INDArray q = Nd4j.create(Arrays.copyOfRange(queries, from, Math.min(queries.length, from + 500)));
      List<List<Hit>> expected = hits(single.search(q, K, null, raw::get));
      List<List<List<Hit>>> perShard = new ArrayList<>();
      for (ProjectedGallery g : partial) {
        perShard.add(hits(g.search(q, K, null, raw::get)));
      }

      // Then the merged partials are the single index's top-k, rank by rank
      for (int i = 0; i < expected.size(); i++) {
        List<List<Hit>> partials = new ArrayList<>();
        for (List<List<Hit>> s : perShard) {
          partials.add(s.get(i));
        }
        List<Hit> merged = ShardMerge.merge(partials, K);
        ties += assertSameTopK(merged, expected.get(i), from + i);
        compared++;
      }
    }
    assertThat(compared).isEqualTo(queries.length);
    // near-ties ordered either way are rare (at most about 0.2% of the ranks, image→text with the inverted softmax, where
    // near-duplicate captions of one image score alike): never 1% of them
    assertThat(ties).as("ranks where a near-tie was ordered the other way").isLessThan(queries.length * K / 100);
    assertThat(partial.stream().mapToInt(ShardedSearchEqualityTest::size).sum()).isEqualTo(ids.size());
    if (partitions > 1) {
      assertThat(partial).allSatisfy(g -> assertThat(size(g)).isBetween(1, ids.size() - 1));
    }
  }

  @org.junit.jupiter.api.Test
  void theComparisonShouldAcceptNearTiesEitherWayAndNothingElse() {
    List<Hit> want = List.of(hit("a", 0.9f), hit("b", 0.8f), hit("c", 0.8f + 2e-6f), hit("d", 0.5f));
    // a near-tie ordered the other way, and a near-tie at the last rank with an item outside the top-k
    assertThat(assertSameTopK(List.of(hit("a", 0.9f), hit("c", 0.8f), hit("b", 0.8f), hit("d", 0.5f)), want, 0))
        .isEqualTo(2);
    assertThat(assertSameTopK(List.of(hit("a", 0.9f), hit("b", 0.8f), hit("c", 0.8f), hit("e", 0.5f + 1e-6f)), want,
        0)).isEqualTo(1);
    // a different ranking, a different score, another item at the last rank, a duplicate: failures
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> assertSameTopK(
        List.of(hit("b", 0.9f), hit("a", 0.8f), hit("c", 0.8f), hit("d", 0.5f)), want, 0)).isInstanceOf(AssertionError.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> assertSameTopK(
        List.of(hit("a", 0.9f), hit("b", 0.8f), hit("c", 0.8f), hit("d", 0.5001f)), want, 0))
        .isInstanceOf(AssertionError.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> assertSameTopK(
        List.of(hit("a", 0.9f), hit("b", 0.8f), hit("c", 0.8f), hit("e", 0.5f)), List.of(hit("a", 0.9f),
            hit("b", 0.8f), hit("c", 0.8f), hit("d", 0.51f)), 0)).isInstanceOf(AssertionError.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> assertSameTopK(
        List.of(hit("a", 0.9f), hit("b", 0.8f), hit("b", 0.8f), hit("d", 0.5f)), want, 0))
        .isInstanceOf(AssertionError.class);
  }

  private static Hit hit(String id, float score) {
    return Hit.newBuilder().setId(id).setScore(score).build();
  }

  /**
   * Float rounding, for these scores: a shard projects its rows, scores them and computes their penalties in matrix
   * products of other shapes than the whole gallery's, and BLAS sums a 256- or 2048-term dot product in an order that
   * depends on the shape and the CPU's kernels (an AVX-512 machine differed from an AVX2 one by about 9 ulps at 1.0).
   * 1e-5 is about 80 ulps of a score near 1: rounding, never a different item or a different map.
   */
  static float tolerance(float score) {
    return 1e-5f * Math.max(1f, Math.abs(score));
  }

  /**
   * The merged top-k is the single index's: rank by rank the same score to float rounding, and the same id except
   * where two items' scores are equal to float rounding (a near-tie, which either search may order either way, or at
   * the k-th rank an item just outside the other's top-k).
   *
   * @return how many ranks held the other item of a near-tie
   */
  static int assertSameTopK(List<Hit> merged, List<Hit> want, int query) {
    assertThat(merged).as("query %d", query).hasSize(want.size());
    assertThat(merged.stream().map(Hit::getId).distinct().count()).as("query %d: distinct ids", query)
        .isEqualTo(merged.size());
    Map<String, Float> wanted = new HashMap<>();
    want.forEach(h -> wanted.put(h.getId(), h.getScore()));
    int ties = 0;
    for (int r = 0; r < want.size(); r++) {
      float w = want.get(r).getScore();
      Hit m = merged.get(r);
      assertThat(Math.abs(m.getScore() - w)).as("query %d rank %d: score", query, r)
          .isLessThanOrEqualTo(tolerance(w));
      if (!m.getId().equals(want.get(r).getId())) {
        // the other item of a near-tie: in the single index's top-k with a score equal to this rank's to rounding,
        // or, outside it, equal to its last score
        float other = wanted.getOrDefault(m.getId(), m.getScore());
        float against = wanted.containsKey(m.getId()) ? w : want.get(want.size() - 1).getScore();
        assertThat(Math.abs(other - against)).as("query %d rank %d: %s instead of %s is not a near-tie", query, r,
            m.getId(), want.get(r).getId()).isLessThanOrEqualTo(tolerance(against));
        ties++;
      }
    }
    return ties;
  }

  private static int size(ProjectedGallery g) {
    return g.size();
  }

  private static Embedding embedding(String id, float[] v, EncoderIdentity enc, boolean image) {
    List<Float> list = new ArrayList<>(v.length);
    for (float f : v) {
      list.add(f);
    }
    return Embedding.newBuilder().setId(id).setModality(image ? Modality.IMAGE : Modality.TEXT).setEncoderInfo(enc)
        .setVector(list).setCreatedAt(Instant.EPOCH).build();
  }

  private static List<List<Hit>> hits(List<List<Map.Entry<String, Float>>> found) {
    List<List<Hit>> out = new ArrayList<>();
    for (List<Map.Entry<String, Float>> row : found) {
      out.add(row.stream().map(e -> Hit.newBuilder().setId(e.getKey()).setScore(e.getValue()).build()).toList());
    }
    return out;
  }
}
