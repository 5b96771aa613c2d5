package io.xmodal.query.gallery;

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

    // When v2 is published, v1's projection stays while v2's is made (it answers meanwhile)
    store.index.projection("other", 7, () -> new ProjectedGallery(store.index, map(), true, IMAGE_KEY, null));
    ProjectedGallery v2 = store.index.projection("m", 2, () -> new ProjectedGallery(store.index, map(), true,
        IMAGE_KEY, null));
    assertThat(v2).isNotSameAs(first);
    assertThat(store.index.existing("m", 1)).isSameAs(first);
    assertThat(store.index.projections()).isEqualTo(3);
    // and goes once v2 serves (another mapping's stays)
    store.index.dropOlder("m", 2);
    assertThat(store.index.existing("m", 1)).isNull();
    assertThat(store.index.existing("m", 2)).isSameAs(v2);
    assertThat(store.index.projections()).isEqualTo(2);

    // Then when the last task lets go, no projection is left
    store.index.release();
    assertThat(store.index.projections()).isEqualTo(2);
    store.index.release();
    assertThat(store.index.projections()).isZero();
  }

  @Test
  void shouldProjectAGalleryOnTheProjectionThreadWithoutHoldingTheCallerAndSearchItAsIfProjectedInline()
      throws Exception {
    // Given a gallery of 300 items whose raw vectors are slow to read until released
    Store store = new Store();
    store.index.acquire(each -> { });
    Random r = new Random(3);
    for (int i = 0; i < 300; i++) {
      store.put(image("img-" + i, 0, r));
    }
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    Set<String> readers = java.util.concurrent.ConcurrentHashMap.newKeySet();
    GalleryIndex.RawVectors slow = id -> {
      readers.add(Thread.currentThread().getName());
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return store.vectors().vector(id);
    };
    ProjectedGallery gallery = new ProjectedGallery(store.index, map(), true, IMAGE_KEY, null);

    // When a caller asks whether it is ready, waiting 50 ms, and then again, willing to wait 30 s
    store.index.projector().resetWaitBudget();
    boolean readyAtOnce = gallery.awaitPrepared(slow, java.time.Duration.ofMillis(50));
    long firstWait = store.index.projector().waitedNanos();
    store.index.projector().resetWaitBudget();
    boolean readyOnSecondLook = gallery.awaitPrepared(slow, java.time.Duration.ofSeconds(30));

    // Then it is not ready; the first caller waited its 50 ms, and the second look did not wait at all (one wait per
    // projection, by whoever started it)
    assertThat(readyAtOnce).isFalse();
    assertThat(readyOnSecondLook).isFalse();
    assertThat(firstWait).isGreaterThanOrEqualTo(java.time.Duration.ofMillis(50).toNanos());
    assertThat(store.index.projector().waitedNanos()).isZero();
    // and once the vectors can be read, it becomes ready, projected on the projection thread only
    release.countDown();
    boolean ready = false;
    for (int i = 0; i < 200 && !ready; i++) {
      Thread.sleep(50);
      ready = gallery.awaitPrepared(slow, java.time.Duration.ZERO);
    }
    assertThat(ready).isTrue();
    assertThat(readers).containsExactly("xmodal-gallery-projector");
    // and a search finds exactly what a gallery projected by its own first search finds
    var query = Nd4j.rand(DataType.FLOAT, 3, DX);
    ProjectedGallery inline = new ProjectedGallery(store.index, map(), true, IMAGE_KEY, null);
    assertThat(gallery.search(query, 10, null, store.vectors()))
        .isEqualTo(inline.search(query, 10, null, store.vectors()));
  }

  @Test
  void shouldProjectAgainAfterAFailureAndLetSearchesMeetTheErrorThemselvesOnlyAfterThreeFailures() {
    // Given a gallery whose raw vectors cannot be read
    Store store = new Store();
    store.index.acquire(each -> { });
    store.put(image("a", 0, new Random(1)));
    java.util.concurrent.atomic.AtomicInteger attempts = new java.util.concurrent.atomic.AtomicInteger();
    GalleryIndex.RawVectors broken = id -> {
      attempts.incrementAndGet();
      throw new IllegalStateException("store closed");
    };
    ProjectedGallery gallery = new ProjectedGallery(store.index, map(), true, IMAGE_KEY, null);

    // When callers keep asking: each failed projection is started again by the next caller
    List<Boolean> answers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      store.index.projector().resetWaitBudget();
      answers.add(gallery.awaitPrepared(broken, java.time.Duration.ofSeconds(10)));
    }

    // Then the first two say "not ready" (the caller answers with another version or waits) and the third, after the
    // third failure, says go on: a search projects for itself and meets the error on the caller's thread
    assertThat(answers).containsExactly(false, false, true);
    assertThat(attempts.get()).isEqualTo(3);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> gallery.search(Nd4j.rand(DataType.FLOAT, 1, DX), 1,
        null, broken)).hasMessageContaining("store closed");
  }

  @Test
  void shouldBecomeReadyAfterATransientProjectionFailureWithoutProjectingOnTheCallersThread() {
    // Given a gallery whose raw vectors fail to read once
    Store store = new Store();
    store.index.acquire(each -> { });
    store.put(image("a", 0, new Random(1)));
    store.put(image("b", 0, new Random(2)));
    java.util.concurrent.atomic.AtomicBoolean failed = new java.util.concurrent.atomic.AtomicBoolean();
    Set<String> readers = java.util.concurrent.ConcurrentHashMap.newKeySet();
    GalleryIndex.RawVectors flaky = id -> {
      readers.add(Thread.currentThread().getName());
      if (failed.compareAndSet(false, true)) {
        throw new IllegalStateException("store closed");
      }
      return store.vectors().vector(id);
    };
    ProjectedGallery gallery = new ProjectedGallery(store.index, map(), true, IMAGE_KEY, null);

    // When asked twice
    store.index.projector().resetWaitBudget();
    boolean first = gallery.awaitPrepared(flaky, java.time.Duration.ofSeconds(10));
    store.index.projector().resetWaitBudget();
    boolean second = gallery.awaitPrepared(flaky, java.time.Duration.ofSeconds(10));

    // Then the second projection made it, on the projection thread only
    assertThat(first).isFalse();
    assertThat(second).isTrue();
    assertThat(readers).containsExactly("xmodal-gallery-projector");
    assertThat(gallery.search(Nd4j.rand(DataType.FLOAT, 1, DX), 2, null, store.vectors()).get(0)).hasSize(2);
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

  @Test
  void shouldKeepNoChangeLogOnceEveryReaderHasCaughtUp() {
    // Given an index held by a task and a gallery reading it
    Store store = new Store();
    store.index.acquire(each -> { });
    ProjectedGallery gallery = new ProjectedGallery(store.index, map(), true, IMAGE_KEY, null);
    Random r = new Random(2);

    // When 5,000 items arrive before the gallery's first search (it starts from every live item, not from the log)
    for (int i = 0; i < 5000; i++) {
      store.put(image("img-" + i, 0, r));
    }
    // Then no log is kept for it
    assertThat(store.index.logLength()).isZero();

    // When it has searched once and ten more changes come, the log holds those ten
    assertThat(everythingFound(gallery, 10, store)).hasSize(10);
    for (int i = 0; i < 10; i++) {
      store.put(image("new-" + i, 0, r));
    }
    assertThat(store.index.logLength()).isEqualTo(10);

    // and once it has searched again, none
    assertThat(everythingFound(gallery, 6000, store)).hasSize(5010);
    assertThat(store.index.logLength()).isZero();
  }

  @Test
  void shouldNotHandOutARemovedItemsSlotAgainUntilEveryReaderHasPassedItsRemoval() {
    // Given two readers that have caught up with an index of two items
    Store store = new Store();
    GalleryIndex index = store.index;
    index.acquire(each -> { });
    Random r = new Random(4);
    store.put(image("a", 0, r));
    store.put(image("b", 0, r));
    GalleryIndex.Reader fast = index.reader();
    GalleryIndex.Reader slow = index.reader();
    int[] slots = index.changes(fast).slots();
    assertThat(index.changes(slow).slots()).containsExactly(slots);
    int slotOfA = slots[0];

    // When "a" is removed and only the fast reader has been given that change
    store.remove("a");
    assertThat(index.changes(fast).kinds()).containsExactly(GalleryIndex.REMOVED);
    store.put(image("c", 0, r));

    // Then the new item does not get a's slot, and the slow reader can still name the row it holds
    assertThat(index.changes(fast).slots()).doesNotContain(slotOfA);
    assertThat(index.ids(slow, new int[] {slotOfA})).containsExactly("a");

    // When the slow reader has been given the removal too, the slot is handed out again
    GalleryIndex.Changes seen = index.changes(slow);
    assertThat(seen.slots()[0]).isEqualTo(slotOfA);
    assertThat(seen.kinds()[0]).isEqualTo(GalleryIndex.REMOVED);
    store.put(image("d", 0, r));
    assertThat(index.changes(fast).slots()).containsExactly(slotOfA);
    assertThat(index.ids(fast, new int[] {slotOfA})).containsExactly("d");
  }

  @Test
  void shouldGiveAnItemRemovedAndAddedAgainBeforeEveryReaderSawItsRemovalItsSlotBack() {
    // Given a reader that has caught up with an item
    Store store = new Store();
    store.index.acquire(each -> { });
    Random r = new Random(14);
    store.put(image("a", 0, r));
    GalleryIndex.Reader reader = store.index.reader();
    int slot = store.index.changes(reader).slots()[0];

    // When the item is removed and added again before the reader asks
    store.remove("a");
    assertThat(store.index.get("a")).isNull();
    assertThat(store.index.size()).isZero();
    store.put(image("a", 0, r));

    // Then it is in its old slot: to the reader, the item was replaced
    assertThat(store.index.size()).isEqualTo(1);
    GalleryIndex.Changes changes = store.index.changes(reader);
    assertThat(changes.slots()).containsExactly(slot, slot);
    assertThat(changes.kinds()[0]).isNotEqualTo(GalleryIndex.REMOVED).isEqualTo(changes.kinds()[1]);

    // and once removed again and passed by the reader, the slot goes to the next new item
    store.remove("a");
    store.index.changes(reader);
    store.put(image("b", 0, r));
    assertThat(store.index.changes(reader).slots()).containsExactly(slot);
    assertThat(store.index.get("a")).isNull();
  }

  @Test
  void shouldCutLooseAReaderLeftFarBehindOnlyOnceItsSearchIsOverAndThenGiveItEveryLiveItemAfresh() {
    // Given a reader that has caught up with 10 items and is searching them
    Store store = new Store();
    GalleryIndex index = store.index;
    index.acquire(each -> { });
    Random r = new Random(6);
    for (int i = 0; i < 10; i++) {
      store.put(image("img-" + i, 0, r));
    }
    GalleryIndex.Reader reader = index.reader();
    GalleryIndex.Changes first = index.changes(reader);
    assertThat(first.afresh()).isTrue();
    int slotOfFirst = first.slots()[0];

    // When more than MIN_LOG changes go by meanwhile (items deleted and others added)
    for (int i = 10; i < 10 + GalleryIndex.MIN_LOG; i++) {
      store.remove("img-" + (i - 10));
      store.put(image("img-" + i, 0, r));
    }

    // Then while its search is in progress it still names the rows it holds (their slots were not handed out again)
    assertThat(index.ids(reader, new int[] {slotOfFirst})).containsExactly("img-0");

    // When its search is over, it is cut loose: it can no longer name slots (they may be another item's now)
    index.done(reader);
    assertThat(index.logLength()).isLessThanOrEqualTo(GalleryIndex.MIN_LOG);
    assertThat(index.ids(reader, new int[] {slotOfFirst})).isNull();

    // and its next changes are every live item
    GalleryIndex.Changes changes = index.changes(reader);
    assertThat(changes.afresh()).isTrue();
    assertThat(index.ids(reader, changes.slots())).hasSize(10)
        .containsExactlyInAnyOrderElementsOf(java.util.stream.IntStream.range(GalleryIndex.MIN_LOG,
            GalleryIndex.MIN_LOG + 10).mapToObj(i -> "img-" + i).toList());
  }

  @Test
  void shouldStartEveryReaderAfreshAfterTheIndexWasEmptied() {
    Random r = new Random(8);
    GalleryIndex index = new GalleryIndex();
    index.acquire(each -> { });
    index.put(image("a", 0, r));
    GalleryIndex.Reader reader = index.reader();
    index.changes(reader);

    // When the last task lets go and a new one fills the index again
    index.release();
    index.acquire(List.of(image("b", 0, r))::forEach);

    // Then the reader names nothing it held, and is given the new contents afresh
    assertThat(index.ids(reader, new int[] {0})).isNull();
    GalleryIndex.Changes changes = index.changes(reader);
    assertThat(changes.afresh()).isTrue();
    assertThat(index.ids(reader, changes.slots())).containsExactly("b");
  }

  static Embedding withContent(Embedding e, String contentHash) {
    return Embedding.newBuilder(e).setContentHash(contentHash).build();
  }

  @Test
  void shouldFindAnItemByItsContentHashOnlyForTheEncoderThatEncodedIt() {
    // Given an index with images that carry the content hash of their bytes, and one that carries none
    Random r = new Random(11);
    GalleryIndex index = new GalleryIndex();
    index.acquire(each -> { });
    index.put(withContent(image("a", 0, r), "hash-a"));
    index.put(withContent(image("b", 0, r), "hash-b"));
    index.put(image("c", 0, r));
    EncoderIdentity other = EncoderIdentity.newBuilder(IMAGE).setChecksum("cccc").build();
    index.put(Embedding.newBuilder(withContent(image("d", 0, r), "hash-d")).setEncoderInfo(other).build());

    // Then each is found by its content and its own encoder, and by nothing else
    assertThat(index.withContent("hash-a", IMAGE_KEY)).isEqualTo("a");
    assertThat(index.withContent("hash-b", IMAGE_KEY)).isEqualTo("b");
    assertThat(index.withContent("hash-d", io.xmodal.schemas.EncoderKeys.of(other))).isEqualTo("d");
    assertThat(index.withContent("hash-d", IMAGE_KEY)).isNull();
    assertThat(index.withContent("hash-a", io.xmodal.schemas.EncoderKeys.of(other))).isNull();
    assertThat(index.withContent("hash-c", IMAGE_KEY)).isNull();
    assertThat(index.withContents()).isEqualTo(3);

    // When a is re-encoded from other content, b deleted, and e added with a's old content
    index.put(withContent(image("a", 1, r), "hash-a2"));
    index.remove("b");
    index.put(withContent(image("e", 1, r), "hash-a"));

    // Then the index follows
    assertThat(index.withContent("hash-a2", IMAGE_KEY)).isEqualTo("a");
    assertThat(index.withContent("hash-a", IMAGE_KEY)).isEqualTo("e");
    assertThat(index.withContent("hash-b", IMAGE_KEY)).isNull();

    // and a gallery partition (sharded mode) finds nothing by content, and an emptied index nothing either
    GalleryIndex partition = new GalleryIndex(true);
    partition.acquire(each -> { });
    partition.put(withContent(image("a", 0, r), "hash-a"));
    assertThat(partition.withContent("hash-a", IMAGE_KEY)).isNull();
    index.release();
    assertThat(index.withContent("hash-a", IMAGE_KEY)).isNull();
    assertThat(index.withContents()).isZero();
  }

  @Test
  void shouldReplaceAnItemOnlyByANewerVersionAndKeepItsSlot() {
    Random r = new Random(10);
    Store store = new Store();
    store.index.acquire(each -> { });
    store.put(image("a", 100, r, "first"));
    GalleryIndex.Reader reader = store.index.reader();
    int slot = store.index.changes(reader).slots()[0];

    // When an older version arrives, nothing changes; when a newer one does, the item is replaced in its slot
    store.index.put(image("a", 50, r, "older"));
    assertThat(store.index.get("a").source()).isEqualTo("first");
    assertThat(store.index.changes(reader).slots()).isEmpty();
    store.index.put(image("a", 200, r, "newer"));
    assertThat(store.index.get("a")).isEqualTo(new GalleryIndex.Item("a", "newer", IMAGE_KEY, 200));
    assertThat(store.index.changes(reader).slots()).containsExactly(slot);
    assertThat(store.index.size()).isEqualTo(1);
  }

  @Test
  void shouldNameEveryHitByTheItemWhoseVectorScoredItWhileTheGalleryChurnsUnderConcurrentSearches()
      throws Exception {
    // Given 300 candidate items whose vectors follow from their ids, 150 of them in a gallery, and a global thread
    // that deletes and re-adds items (slots handed out again) as fast as it can
    GalleryIndex index = new GalleryIndex();
    index.acquire(each -> { });
    java.util.concurrent.ConcurrentHashMap<String, Embedding> stored = new java.util.concurrent.ConcurrentHashMap<>();
    java.util.function.Function<String, Embedding> vectorOf = id -> image(id, 0, new Random(id.hashCode()));
    for (int i = 0; i < 150; i++) {
      stored.put("img-" + i, vectorOf.apply("img-" + i));
      index.put(stored.get("img-" + i));
    }
    CrossModalMap map = map();
    ProjectedGallery gallery = new ProjectedGallery(index, map, true, IMAGE_KEY, null);
    GalleryIndex.RawVectors vectors = GalleryIndex.RawVectors.of(stored::get);
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    Thread writer = new Thread(() -> {
      Random r = new Random(12);
      long t = 1;
      while (!stop.get()) {
        String id = "img-" + r.nextInt(300);
        if (stored.remove(id) != null) {
          index.remove(id);
        } else {
          Embedding e = image(id, t++, new Random(id.hashCode()));
          stored.put(id, e);
          index.put(e);
        }
        java.util.concurrent.locks.LockSupport.parkNanos(20_000); // a global thread also reads and writes its store
      }
    });
    writer.start();

    // When it is searched again and again meanwhile
    int checked = 0;
    try {
      long until = System.nanoTime() + 2_000_000_000L;
      while (System.nanoTime() < until) {
        var q = Nd4j.rand(DataType.FLOAT, 1, DX).subi(0.5);
        for (Map.Entry<String, Float> hit : gallery.search(q, 20, null, vectors).get(0)) {
          // Then each hit's score is the one its own id's vector gets: no row is named by another item
          float[] v = io.xmodal.mapping.Vectors.l2(io.xmodal.schemas.EmbeddingVectors.of(vectorOf.apply(hit.getKey())));
          float expected = map.projectText(q).mmul(map.projectImages(Nd4j.create(new float[][] {v})).transpose())
              .getFloat(0, 0);
          assertThat(hit.getValue()).as(hit.getKey()).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-4f));
          checked++;
        }
      }
    } finally {
      stop.set(true);
      writer.join();
    }
    assertThat(checked).isGreaterThan(100);

    // and once the writer has stopped, the gallery holds exactly the stored items
    assertThat(gallery.search(Nd4j.ones(DataType.FLOAT, 1, DX), 400, null, vectors).get(0))
        .extracting(Map.Entry::getKey).containsExactlyInAnyOrderElementsOf(stored.keySet());
  }
}
