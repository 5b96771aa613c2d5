package io.xmodal.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.mapping.CrossModalMap;
import io.xmodal.mapping.Fits;
import io.xmodal.mapping.SufficientStats;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.EncoderIdentity;
import io.xmodal.schemas.Modality;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class GalleryIndexTest {

  static {
    io.xmodal.schemas.AvroTrust.trustXmodalSchemas(); // the class builds Avro records before any serde is made
  }

  static final int DX = 4;
  static final int DY = 6;
  static final EncoderIdentity IMAGE = EncoderIdentity.newBuilder().setName("image-enc").setVersion("1")
      .setDimension(DY).setChecksum("bbbb").build();
  static final String IMAGE_KEY = io.xmodal.schemas.EncoderKeys.of(IMAGE);

  /** The global store and the index it feeds, as {@link GalleryUpdater} keeps them. */
  static final class Store {
    final GalleryIndex index = new GalleryIndex();
    final Map<String, Embedding> embeddings = new java.util.HashMap<>();

    void put(Embedding e) {
      embeddings.put(e.getId(), e);
      index.put(e);
    }

    void remove(String id) {
      embeddings.remove(id);
      index.remove(id);
    }

    GalleryIndex.RawVectors vectors() {
      return GalleryIndex.RawVectors.of(embeddings::get);
    }
  }

  static Embedding image(String id, long createdAt, Random r) {
    return image(id, createdAt, r, "s");
  }

  static Embedding image(String id, long createdAt, Random r, String source) {
    List<Float> v = new ArrayList<>();
    for (int j = 0; j < DY; j++) {
      v.add((float) r.nextGaussian());
    }
    return Embedding.newBuilder().setId(id).setModality(Modality.IMAGE).setEncoderInfo(IMAGE).setVector(v)
        .setCreatedAt(Instant.ofEpochMilli(createdAt)).setSource(source).build();
  }

  /** A text→image least-squares map fitted on random pairs: any map will do to search with. */
  static CrossModalMap map() {
    Random r = new Random(1);
    float[][] x = new float[50][DX];
    float[][] y = new float[50][DY];
    for (int i = 0; i < 50; i++) {
      for (int j = 0; j < DX; j++) {
        x[i][j] = (float) r.nextGaussian();
      }
      for (int j = 0; j < DY; j++) {
        y[i][j] = (float) r.nextGaussian();
      }
    }
    return Fits.leastSquares(SufficientStats.of(x, y), 0.1, true, Fits.Direction.T2I);
  }

  static Set<String> everythingFound(ProjectedGallery gallery, int k, Store store) {
    Set<String> found = new HashSet<>();
    for (Map.Entry<String, Float> hit : gallery.search(Nd4j.ones(DataType.FLOAT, 1, DX), k, null, store.vectors())
        .get(0)) {
      found.add(hit.getKey());
    }
    return found;
  }

  @Test
  void shouldKeepItsChangeLogBoundedUnderChurnAndStillServeExactlyTheLiveItems() {
    // Given an index held by a task, with 100 images, and a projected gallery that has caught up with them
    Store store = new Store();
    GalleryIndex index = store.index;
    index.acquire(each -> { });
    Random r = new Random(7);
    for (int i = 0; i < 100; i++) {
      store.put(image("img-" + i, 0, r));
    }
    ProjectedGallery gallery = new ProjectedGallery(index, map(), true, IMAGE_KEY, null);
    assertThat(everythingFound(gallery, 200, store)).hasSize(100);

    // When 200,000 updates and deletes go by without a search (re-encodings of ten images, ten deleted and re-added)
    for (int round = 1; round <= 10_000; round++) {
      for (int i = 0; i < 10; i++) {
        store.put(image("img-" + i, round, r));
        store.remove("img-" + (10 + i));
        store.put(image("img-" + (10 + i), round, r));
      }
    }
    store.remove("img-99");

    // Then the change log stays within twice the gallery (or its minimum), not one entry per update
    assertThat(index.logLength()).isLessThanOrEqualTo(Math.max(GalleryIndex.MIN_LOG, 2 * index.size()));
    // and the gallery that fell behind the trimmed log finds exactly the live items
    Set<String> live = new HashSet<>();
    for (int i = 0; i < 99; i++) {
      live.add("img-" + i);
    }
    assertThat(everythingFound(gallery, 200, store)).isEqualTo(live);
    assertThat(gallery.size()).isEqualTo(99);
  }

  @Test
  void shouldFillFromTheStoreForTheFirstHolderAndEmptyWhenTheLastLetsGo() {
    Random r = new Random(3);
    List<Embedding> stored = List.of(image("a", 0, r), image("b", 0, r));
    GalleryIndex index = new GalleryIndex();

    // Given no task holds the index: it follows nothing
    index.put(image("early", 0, r));
    assertThat(index.size()).isZero();
    assertThat(index.held()).isFalse();

    // When two tasks hold it, the first fills it from the store and updates follow
    index.acquire(stored::forEach);
    index.acquire(each -> {
      throw new AssertionError("only the first holder fills the index");
    });
    index.put(image("c", 0, r));
    assertThat(index.size()).isEqualTo(3);

    // and one task closes: the other still searches everything
    index.release();
    assertThat(index.size()).isEqualTo(3);

    // When the last closes, every item is released and updates are ignored until a task holds it again
    index.release();
    assertThat(index.size()).isZero();
    assertThat(index.logLength()).isZero();
    index.put(image("d", 0, r));
    assertThat(index.size()).isZero();

    // Then a new holder fills it afresh from the store, which is complete
    index.acquire(stored::forEach);
    assertThat(index.size()).isEqualTo(2);
    assertThat(index.get("a")).isNotNull();
  }

  @Test
  void shouldShareOneProjectionPerMappingVersionAcrossTasksAndDropOlderVersions() {
    // Given an index held by two query tasks of one instance
    Store store = new Store();
    store.index.acquire(each -> { });
    store.index.acquire(each -> { });
    store.put(image("a", 0, new Random(1)));

    // When both tasks ask for the projection of mapping "m" v1, they get the same one: one copy of each row
    ProjectedGallery first = store.index.projection("m", 1, () -> new ProjectedGallery(store.index, map(), true,
        IMAGE_KEY, null));
    ProjectedGallery second = store.index.projection("m", 1, () -> {
      throw new AssertionError("a second task must reuse the instance's projection");
    });
    assertThat(second).isSameAs(first);

    // When v2 is published, its projection replaces v1's (another mapping's stays)
    store.index.projection("other", 7, () -> new ProjectedGallery(store.index, map(), true, IMAGE_KEY, null));
    ProjectedGallery v2 = store.index.projection("m", 2, () -> new ProjectedGallery(store.index, map(), true,
        IMAGE_KEY, null));
    assertThat(v2).isNotSameAs(first);
    assertThat(store.index.projections()).isEqualTo(2);

    // Then when the last task lets go, no projection is left
    store.index.release();
    assertThat(store.index.projections()).isEqualTo(2);
    store.index.release();
    assertThat(store.index.projections()).isZero();
  }

  @Test
  void shouldFilterBySourceOnTheScoresWithTheSameScoresAsTheWholeGallery() {
    // Given a gallery of 40 items from two sources
    Store store = new Store();
    store.index.acquire(each -> { });
    Random r = new Random(5);
    for (int i = 0; i < 40; i++) {
      store.put(image("img-" + i, 0, r, i % 2 == 0 ? "even" : "odd"));
    }
    ProjectedGallery gallery = new ProjectedGallery(store.index, map(), true, IMAGE_KEY, null);
    var query = Nd4j.rand(DataType.FLOAT, 1, DX);

    // When it is searched for everything and for the "even" source only
    List<Map.Entry<String, Float>> all = gallery.search(query, 40, null, store.vectors()).get(0);
    List<Map.Entry<String, Float>> even = gallery.search(query, 5, "even", store.vectors()).get(0);

    // Then the filtered hits are exactly the five best even items of the whole search, with the same scores
    assertThat(even).isEqualTo(all.stream().filter(h -> Integer.parseInt(h.getKey().substring(4)) % 2 == 0)
        .limit(5).toList());
    // and a source with no item finds nothing (not items scored minus infinity)
    assertThat(gallery.search(query, 5, "nowhere", store.vectors()).get(0)).isEmpty();
  }

  @Test
  void shouldDropARowWhoseVectorLeftTheStoreBeforeItWasProjected() {
    // Given three items logged in the index, one of which the store no longer has when the gallery projects them
    Store store = new Store();
    store.index.acquire(each -> { });
    Random r = new Random(9);
    for (String id : List.of("a", "b", "c")) {
      store.put(image(id, 0, r));
    }
    ProjectedGallery gallery = new ProjectedGallery(store.index, map(), true, IMAGE_KEY, null);
    store.embeddings.remove("a"); // deleted in the store; its tombstone has not reached the index yet

    // When the gallery is searched, then only the two items still stored are found
    assertThat(everythingFound(gallery, 10, store)).containsExactlyInAnyOrder("b", "c");
    assertThat(gallery.size()).isEqualTo(2);

    // and when the tombstone arrives and a new item is added, the rows stay consistent
    store.index.remove("a");
    store.put(image("d", 0, r));
    assertThat(everythingFound(gallery, 10, store)).containsExactlyInAnyOrder("b", "c", "d");
  }
}
