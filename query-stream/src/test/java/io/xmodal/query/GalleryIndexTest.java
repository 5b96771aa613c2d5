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

  static final int DX = 4;
  static final int DY = 6;
  static final EncoderIdentity IMAGE = EncoderIdentity.newBuilder().setName("image-enc").setVersion("1")
      .setDimension(DY).setChecksum("bbbb").build();
  static final String IMAGE_KEY = io.xmodal.schemas.EncoderKeys.of(IMAGE);

  static Embedding image(String id, long createdAt, Random r) {
    List<Float> v = new ArrayList<>();
    for (int j = 0; j < DY; j++) {
      v.add((float) r.nextGaussian());
    }
    return Embedding.newBuilder().setId(id).setModality(Modality.IMAGE).setEncoderInfo(IMAGE).setVector(v)
        .setCreatedAt(Instant.ofEpochMilli(createdAt)).setSource("s").build();
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

  static Set<String> everythingFound(ProjectedGallery gallery, int k) {
    Set<String> found = new HashSet<>();
    for (Map.Entry<String, Float> hit : gallery.search(Nd4j.ones(DataType.FLOAT, 1, DX), k).get(0)) {
      found.add(hit.getKey());
    }
    return found;
  }

  @Test
  void shouldKeepItsChangeLogBoundedUnderChurnAndStillServeExactlyTheLiveItems() {
    // Given an index held by a task, with 100 images, and a projected gallery that has caught up with them
    GalleryIndex index = new GalleryIndex();
    index.acquire(each -> { });
    Random r = new Random(7);
    for (int i = 0; i < 100; i++) {
      index.put(image("img-" + i, 0, r));
    }
    ProjectedGallery gallery = new ProjectedGallery(index, map(), true, IMAGE_KEY, null, null);
    assertThat(everythingFound(gallery, 200)).hasSize(100);

    // When 200,000 updates and deletes go by without a search (re-encodings of ten images, ten deleted and re-added)
    for (int round = 1; round <= 10_000; round++) {
      for (int i = 0; i < 10; i++) {
        index.put(image("img-" + i, round, r));
        index.remove("img-" + (10 + i));
        index.put(image("img-" + (10 + i), round, r));
      }
    }
    index.remove("img-99");

    // Then the change log stays within twice the gallery (or its minimum), not one entry per update
    assertThat(index.logLength()).isLessThanOrEqualTo(Math.max(GalleryIndex.MIN_LOG, 2 * index.size()));
    // and the gallery that fell behind the trimmed log finds exactly the live items
    Set<String> live = new HashSet<>();
    for (int i = 0; i < 99; i++) {
      live.add("img-" + i);
    }
    assertThat(everythingFound(gallery, 200)).isEqualTo(live);
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
}
