package io.xmodal.query;

import io.xmodal.mapping.Vectors;
import io.xmodal.schemas.Embedding;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The items one modality can return, as the embeddings topics hold them: L2-normalised raw vectors with their source
 * and encoder checksum, keyed by id. Filled by the global store's processor (the global thread) and read by query
 * tasks (stream threads): thread-safe, with an append-only change log so a reader can catch up incrementally.
 * One per query-stream instance: the replicated gallery of the first version (see the module README for sharding).
 */
final class GalleryIndex {

  /** One gallery item. */
  record Item(String id, String source, String encoderKey, float[] vector, long createdAt) {}

  private final ConcurrentHashMap<String, Item> items = new ConcurrentHashMap<>();
  private final List<String> log = new ArrayList<>();

  /** Adds or replaces an item, unless a newer version of it is already there. */
  void put(Embedding e) {
    if (e == null) {
      return;
    }
    float[] v = io.xmodal.schemas.EmbeddingVectors.of(e);
    if (!Vectors.usable(v)) {
      // NaN, infinite or all zeros: it could only be a wrong hit; it leaves the gallery like a deleted item
      remove(e.getId());
      return;
    }
    Item item = new Item(e.getId(), e.getSource(), io.xmodal.schemas.EncoderKeys.of(e.getEncoderInfo()), Vectors.l2(v),
        e.getCreatedAt().toEpochMilli());
    Item before = items.merge(e.getId(), item, (old, now) -> now.createdAt() >= old.createdAt() ? now : old);
    if (before == item) {
      synchronized (log) {
        log.add(e.getId());
      }
    }
  }

  /** Deletes an item (a tombstone on its embeddings topic); readers see it in the change log and drop its row. */
  void remove(String id) {
    if (items.remove(id) != null) {
      synchronized (log) {
        log.add(id);
      }
    }
  }

  Item get(String id) {
    return items.get(id);
  }

  int size() {
    return items.size();
  }

  /** Position of the end of the change log. */
  int logSize() {
    synchronized (log) {
      return log.size();
    }
  }

  /** Ids changed (added, replaced or removed) since {@code position} (may repeat). */
  List<String> changedSince(int position) {
    synchronized (log) {
      return new ArrayList<>(log.subList(position, log.size()));
    }
  }
}
