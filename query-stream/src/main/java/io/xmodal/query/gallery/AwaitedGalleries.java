package io.xmodal.query.gallery;

import java.util.ArrayList;
import java.util.List;

/**
 * The galleries a query processor's held-back queries wait for (being projected off the stream thread, with no other
 * version to answer with). While every one of them is still being projected, the processor's flushes leave its store
 * alone: held queries are not read and stored again at every punctuation (an image query holds its bytes, and
 * thousands may pile up). Once any of them is done (ready, or failed: then the next flush starts it again), the
 * flushes go on.
 */
public final class AwaitedGalleries {

  private final List<ProjectedGallery> awaited = new ArrayList<>();

  public void add(ProjectedGallery gallery) {
    if (awaited.stream().noneMatch(g -> g == gallery)) {
      awaited.add(gallery);
    }
  }

  /** Whether a flush should wait: galleries are awaited and none has finished its projection yet. */
  public boolean blocking() {
    if (awaited.isEmpty()) {
      return false;
    }
    if (awaited.stream().allMatch(ProjectedGallery::preparing)) {
      return true;
    }
    awaited.clear();
    return false;
  }
}
