package io.xmodal.query;

import io.xmodal.mapping.Vectors;
import io.xmodal.schemas.Embedding;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The items one modality can return, as the embeddings topics hold them: L2-normalised raw vectors with their source
 * and encoder checksum, keyed by id. Written by the global store's processor (the global thread) and read by query
 * tasks (stream threads): thread-safe, with a change log so a reader can catch up incrementally.
 *
 * <p>One per query-stream instance (built with its topology), held by the query tasks that run there: the first task
 * to {@link #acquire} it fills it from the global store; while no task holds it, it is empty and ignores updates (the
 * global store on disk stays complete), so an instance without query tasks, or one that has closed, keeps no vectors
 * in memory. The change log is trimmed as it grows past twice the items: a reader left behind the trimmed part
 * rebuilds from {@link #snapshot()} instead of replaying it, so memory stays proportional to the gallery, not to the
 * number of updates it has seen.
 */
public final class GalleryIndex {

  /** Shortest change log that is ever trimmed. */
  static final int MIN_LOG = 1024;

  /** One gallery item. */
  record Item(String id, String source, String encoderKey, float[] vector, long createdAt) {}

  /** What the global store holds, fed to {@code each}: how a first holder fills the index. */
  @FunctionalInterface
  public interface Contents {
    void forEach(Consumer<Embedding> each);
  }

  /** Items changed since a position of the change log, and the position after them. */
  record Changes(List<String> ids, long end) {}

  /** Every item at once, and the change-log position it is consistent with. */
  record Snapshot(List<Item> items, long end) {}

  private final ConcurrentHashMap<String, Item> items = new ConcurrentHashMap<>();
  /** Ids changed (added, replaced or removed), oldest first; {@code log.get(0)} is at position {@code base}. */
  private final List<String> log = new ArrayList<>();
  private long base;
  private int holders;

  /**
   * A query task starts using the index. The first one fills it from {@code contents}; writes of the global thread
   * wait meanwhile, so an item deleted during the fill cannot come back.
   */
  public synchronized void acquire(Contents contents) {
    holders++;
    if (holders == 1) {
      contents.forEach(this::putLocked);
    }
  }

  /** A query task is done with the index (it closed); the last one empties it. */
  public synchronized void release() {
    if (holders == 0) {
      return;
    }
    holders--;
    if (holders == 0) {
      items.clear();
      base += log.size();
      log.clear();
    }
  }

  /** Adds or replaces an item, unless a newer version of it is already there; ignored while no task holds the index. */
  public synchronized void put(Embedding e) {
    if (holders > 0) {
      putLocked(e);
    }
  }

  private void putLocked(Embedding e) {
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
      logged(e.getId());
    }
  }

  /** Deletes an item (a tombstone on its embeddings topic); readers see it in the change log and drop its row. */
  public synchronized void remove(String id) {
    if (items.remove(id) != null) {
      logged(id);
    }
  }

  private void logged(String id) {
    log.add(id);
    if (log.size() > Math.max(MIN_LOG, 2 * items.size())) {
      int dropped = log.size() / 2;
      log.subList(0, dropped).clear();
      base += dropped;
    }
  }

  Item get(String id) {
    return items.get(id);
  }

  public int size() {
    return items.size();
  }

  /** Whether a query task holds the index (and so it follows the global store). */
  synchronized boolean held() {
    return holders > 0;
  }

  /** Entries the change log keeps (at most twice the items, or {@link #MIN_LOG}). */
  synchronized int logLength() {
    return log.size();
  }

  /** Position of the end of the change log. */
  synchronized long logEnd() {
    return base + log.size();
  }

  /** Ids changed since {@code position} (may repeat), or null when the log no longer reaches back that far. */
  synchronized Changes changedSince(long position) {
    if (position < base) {
      return null;
    }
    return new Changes(new ArrayList<>(log.subList((int) (position - base), log.size())), base + log.size());
  }

  /** Every item, for a reader that starts afresh or fell behind the trimmed log. */
  synchronized Snapshot snapshot() {
    return new Snapshot(new ArrayList<>(items.values()), base + log.size());
  }
}
