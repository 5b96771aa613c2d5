package io.xmodal.query;

import io.xmodal.mapping.Vectors;
import io.xmodal.schemas.Embedding;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The items one modality can return, as the embeddings topics hold them: id, source and encoder key, and a change log
 * so a reader can catch up incrementally. It holds no vector: the raw vectors stay in the global store (RocksDB, off
 * the heap), read through {@link RawVectors} when a row is projected, and the one copy in memory is the projected row
 * of the live mapping's {@link ProjectedGallery}, which the index keeps for every task of the instance
 * ({@link #projection}). Written by the global store's processor (the global thread) and read by query tasks (stream
 * threads): thread-safe.
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

  /** Projected galleries one index keeps at most (one per mapping and version in use, each a projected copy). */
  static final int MAX_PROJECTIONS = 4;

  /** One gallery item: what the index knows of it (its vector stays in the store). */
  record Item(String id, String source, String encoderKey, long createdAt) {}

  /**
   * Where the raw vectors are: the global store, read by id. Returns the L2-normalised vector, or null when the item
   * is gone or its vector is unusable (it then leaves the gallery, as the change log says too).
   */
  @FunctionalInterface
  public interface RawVectors {
    float[] vector(String id);

    /** The vectors of a store of embeddings (the global store a query task reads). */
    static RawVectors of(java.util.function.Function<String, Embedding> store) {
      return id -> {
        Embedding e = store.apply(id);
        if (e == null) {
          return null;
        }
        float[] v = io.xmodal.schemas.EmbeddingVectors.of(e);
        return Vectors.usable(v) ? Vectors.l2(v) : null;
      };
    }
  }

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
  /** Encoder keys, each held once however many items share it. */
  private final Map<String, String> encoderKeys = new HashMap<>();
  /** The projected galleries of the instance's tasks, keyed by mapping name and version, least recently used first. */
  private final LinkedHashMap<String, ProjectedGallery> projections = new LinkedHashMap<>(8, 0.75f, true);
  /** When each projection was last asked for ({@link System#nanoTime()}). */
  private final Map<String, Long> lastUsed = new HashMap<>();
  /** Sharded mode: a newer version does not drop the older ones at once (a query pinned to one may still come). */
  private final boolean keepsOlderVersions;

  /** An index whose projections of a mapping's older versions go as soon as a newer one is made (replicated mode). */
  public GalleryIndex() {
    this(false);
  }

  /**
   * @param keepsOlderVersions true for a gallery partition (sharded mode): an older version's projection stays until
   *                           {@link #dropIdle} finds it unused, so a query pinned to it is still answered with it
   */
  GalleryIndex(boolean keepsOlderVersions) {
    this.keepsOlderVersions = keepsOlderVersions;
  }

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
      encoderKeys.clear();
      projections.clear();
      lastUsed.clear();
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
    String key = io.xmodal.schemas.EncoderKeys.of(e.getEncoderInfo());
    Item item = new Item(e.getId(), e.getSource(), encoderKeys.computeIfAbsent(key, k -> k),
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

  /**
   * The projected gallery of one mapping version, shared by every task of the instance: made by {@code make} on first
   * use; a newer version of the same mapping drops the older ones (a task still searching one keeps its reference
   * until it is done), and at most {@link #MAX_PROJECTIONS} are kept, the least recently used dropped first.
   *
   * @param mapping the mapping's name (an index is one modality, so one direction of the mapping)
   */
  synchronized ProjectedGallery projection(String mapping, long version, Supplier<ProjectedGallery> make) {
    String key = mapping + "\u0000" + version;
    ProjectedGallery p = projections.get(key);
    if (p != null) {
      lastUsed.put(key, System.nanoTime());
      return p;
    }
    p = make.get();
    if (holders == 0) {
      return p; // a task that is not holding the index (a benchmark, a test) keeps its own
    }
    if (!keepsOlderVersions) {
      projections.keySet().removeIf(k -> mappingOf(k).equals(mapping) && versionOf(k) < version);
    }
    projections.put(key, p);
    lastUsed.put(key, System.nanoTime());
    while (projections.size() > MAX_PROJECTIONS) {
      String eldest = projections.keySet().iterator().next();
      projections.remove(eldest);
      lastUsed.remove(eldest);
    }
    lastUsed.keySet().retainAll(projections.keySet());
    return p;
  }

  /**
   * Drops the projections of every mapping's older versions not asked for in the last {@code idleNanos} (the newest
   * version of each mapping stays): after a swap, the older matrix stays only while queries pinned to it still come.
   *
   * @return how many were dropped
   */
  synchronized int dropIdle(long idleNanos) {
    Map<String, Long> newest = new HashMap<>();
    projections.keySet().forEach(k -> newest.merge(mappingOf(k), versionOf(k), Math::max));
    long now = System.nanoTime();
    int before = projections.size();
    projections.keySet().removeIf(k -> versionOf(k) < newest.get(mappingOf(k))
        && now - lastUsed.getOrDefault(k, 0L) > idleNanos);
    lastUsed.keySet().retainAll(projections.keySet());
    return before - projections.size();
  }

  private static String mappingOf(String key) {
    return key.substring(0, key.lastIndexOf('\u0000'));
  }

  private static long versionOf(String key) {
    return Long.parseLong(key.substring(key.lastIndexOf('\u0000') + 1));
  }

  /** Projected galleries kept now. */
  synchronized int projections() {
    return projections.size();
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
