package io.xmodal.query.gallery;

import io.xmodal.mapping.Vectors;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.EmbeddingVectors;
import io.xmodal.schemas.EncoderKeys;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The items one modality can return, as the embeddings topics hold them: id, source and encoder key, and a change log
 * so a reader can catch up incrementally. It holds no vector: the raw vectors stay in the global store (RocksDB, off
 * the heap), read through {@link RawVectors} when a row is projected, and the one copy in memory is the projected row
 * of the live mapping's {@link ProjectedGallery}, which the index keeps for every task of the instance
 * ({@link #projection}). Written by the global store's processor (the global thread) and read by query tasks (stream
 * threads): thread-safe (every method takes the index's lock).
 *
 * <p>Compact, since it is per item what the gallery costs beyond its float32 rows: each item is a slot of an
 * {@link IdTable} (its id as UTF-8 bytes in one arena, found through a table of ints), and per slot an int for its
 * kind (source and encoder key, each distinct pair held once) and a long for its creation time: about 40 bytes per
 * item, where a {@code String}, a record and a map node cost about 130. Readers ({@link ProjectedGallery}) know rows
 * by slot, so the ids are held once. The change log holds slots, and only as far back as the readers that are behind
 * need: every entry that each reader has passed is dropped, so a reader that keeps up costs no log. A removed item
 * keeps its slot (and its id) until every reader has passed its removal, so a reader can always name the rows it
 * holds, and an item added again before then gets its slot back (its row, to a reader, was only replaced). A reader that falls more than twice the items behind between two searches is cut loose (the log
 * is trimmed past it) and rebuilds from every live slot, so memory stays proportional to the gallery, not to the
 * number of updates; readers are held weakly, so one that is dropped holds nothing back once it is collected.
 *
 * <p>It also finds an item by content ({@link #withContent}): a query whose text or image has the content hash of an
 * item encoded by the same encoder is answered with that item's stored vector instead of being encoded again. A
 * {@link ContentTable} keeps that (about 16 bytes per item that carries a content hash; none in a gallery partition,
 * whose queries the scatter encodes).
 *
 * <p>One per query-stream instance (built with its topology), held by the query tasks that run there: the first task
 * to {@link #acquire} it fills it from the global store; while no task holds it, it is empty and ignores updates (the
 * global store on disk stays complete), so an instance without query tasks, or one that has closed, keeps no vectors
 * in memory.
 */
public final class GalleryIndex {

  /** Shortest change log that is ever trimmed past a reader that is behind. */
  static final int MIN_LOG = 1024;

  /** Projected galleries one index keeps at most (one per mapping and version in use, each a projected copy). */
  static final int MAX_PROJECTIONS = 4;

  /** The kind of a slot whose item was removed (or never added). */
  static final int REMOVED = -1;

  /** One gallery item: what the index knows of it (its vector stays in the store). */
  record Item(String id, String source, String encoderKey, long createdAt) {}

  /** Source and encoder key, which most items share: held once per distinct pair, items refer to it by number. */
  private record Kind(String source, String encoderKey) {}

  /**
   * Where the raw vectors are: the global store, read by id. Returns the L2-normalised vector, or null when the item
   * is gone or its vector is unusable (it then leaves the gallery, as the change log says too).
   */
  @FunctionalInterface
  public interface RawVectors {
    float[] vector(String id);

    /** The vectors of a store of embeddings (the global store a query task reads). */
    static RawVectors of(Function<String, Embedding> store) {
      return id -> {
        Embedding e = store.apply(id);
        if (e == null) {
          return null;
        }
        float[] v = EmbeddingVectors.of(e);
        return Vectors.usable(v) ? Vectors.l2(v) : null;
      };
    }
  }

  /** What the global store holds, fed to {@code each}: how a first holder fills the index. */
  @FunctionalInterface
  public interface Contents {
    void forEach(Consumer<Embedding> each);
  }

  /**
   * What a reader applies: the slots changed since it last asked (may repeat), each with its kind when it was asked
   * ({@link #REMOVED} for a removed item), or, when {@code afresh}, every live slot (the reader drops all it had).
   */
  record Changes(int[] slots, int[] kinds, boolean afresh) {}

  /**
   * A reader's place in the change log: the position up to which it has been given the changes. Held by the reader
   * and weakly by the index, so a reader that is dropped stops holding the log back once it is collected.
   */
  static final class Reader {
    private long position = -1;
    /** Between {@link #changes} and {@link #done}: a search is using the rows, and the reader is never cut loose. */
    private boolean busy;
  }

  private final IdTable ids = new IdTable();
  /** Per slot: its item's kind (an index into {@link #kinds}), or {@link #REMOVED}. */
  private int[] kindOf = new int[16];
  /**
   * Per slot: its item's creation time (epoch ms; a put older than the item it would replace is ignored), or for a
   * removed item the log position of its removal (which entry of {@link #retired} is its latest).
   */
  private long[] createdAt = new long[16];
  private int size;
  private final List<Kind> kinds = new ArrayList<>();
  private final Map<Kind, Integer> kindNumbers = new HashMap<>();
  /** Slots changed (added, replaced or removed), oldest first: {@code log[logHead]} is at position {@code base}. */
  private int[] log = new int[MIN_LOG];
  private int logHead;
  private int logTail;
  private long base;
  /** Removals whose slots are not released yet, oldest first: slot, and the log position of the removal. */
  private int[] retired = new int[16];
  private long[] retiredAt = new long[16];
  private int retiredHead;
  private int retiredTail;
  private final Map<Reader, Boolean> readers = new WeakHashMap<>();
  private int holders;
  /** The projected galleries of the instance's tasks, keyed by mapping name and version, least recently used first. */
  private final LinkedHashMap<String, ProjectedGallery> projections = new LinkedHashMap<>(8, 0.75f, true);
  /** When each projection was last asked for ({@link System#nanoTime()}). */
  private final Map<String, Long> lastUsed = new HashMap<>();
  /** Sharded mode: a newer version does not drop the older ones at once (a query pinned to one may still come). */
  private final boolean keepsOlderVersions;
  private final Projector projector;
  /** Content and encoder → slot, of the items that carry a content hash; null in a gallery partition (sharded mode). */
  private final ContentTable contents;

  /**
   * An index of a whole gallery (replicated mode): projections of a mapping's older versions go as soon as a newer one
   * is made, and items are found by content ({@link #withContent}).
   */
  public GalleryIndex() {
    this(false);
  }

  /** A gallery index with a {@link Projector} of its own (a benchmark's, a test's). */
  public GalleryIndex(boolean partition) {
    this(partition, new Projector());
  }

  /**
   * @param partition true for a gallery partition (sharded mode): an older version's projection stays until
   *                  {@link #dropIdle} finds it unused, so a query pinned to it is still answered with it; and no item
   *                  is found by content (the scatter, which encodes the queries, holds no gallery)
   * @param projector where its first projections are made, shared by the galleries of one topology
   */
  public GalleryIndex(boolean partition, Projector projector) {
    this.projector = projector;
    this.keepsOlderVersions = partition;
    this.contents = partition ? null : new ContentTable();
  }

  /** Where its galleries' first projections are made. */
  public Projector projector() {
    return projector;
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

  /** A query task is done with the index (it closed); the last one empties it, and every reader starts afresh. */
  public synchronized void release() {
    if (holders == 0) {
      return;
    }
    holders--;
    if (holders == 0) {
      ids.clear();
      kindOf = new int[16];
      createdAt = new long[16];
      size = 0;
      kinds.clear();
      kindNumbers.clear();
      projections.clear();
      lastUsed.clear();
      if (contents != null) {
        contents.reset();
      }
      base = logEnd();
      log = new int[MIN_LOG];
      logHead = 0;
      logTail = 0;
      retired = new int[16];
      retiredAt = new long[16];
      retiredHead = 0;
      retiredTail = 0;
      readers.keySet().forEach(r -> r.position = -1);
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
    float[] v = EmbeddingVectors.of(e);
    if (!Vectors.usable(v)) {
      // NaN, infinite or all zeros: it could only be a wrong hit; it leaves the gallery like a deleted item
      remove(e.getId());
      return;
    }
    long created = e.getCreatedAt().toEpochMilli();
    int slot = ids.slotOf(e.getId());
    if (slot >= 0 && kindOf[slot] != REMOVED && created < createdAt[slot]) {
      return; // a newer version of it is already there
    }
    if (slot < 0) {
      slot = ids.put(e.getId());
      if (slot >= kindOf.length) {
        int n = IdTable.grown(kindOf.length);
        kindOf = Arrays.copyOf(kindOf, n);
        createdAt = Arrays.copyOf(createdAt, n);
      }
      size++;
    } else if (kindOf[slot] == REMOVED) {
      size++; // removed, and added again before its slot was released: the same slot
    }
    Kind kind = new Kind(e.getSource(), EncoderKeys.of(e.getEncoderInfo()));
    kindOf[slot] = kindNumbers.computeIfAbsent(kind, k -> {
      kinds.add(k);
      return kinds.size() - 1;
    });
    createdAt[slot] = created;
    if (contents != null) {
      contents.set(slot, e.getContentHash() == null ? 0 : ContentTable.key(e.getContentHash(), kind.encoderKey()));
    }
    logged(slot);
  }

  /** Deletes an item (a tombstone on its embeddings topic); readers see it in the change log and drop its row. */
  public synchronized void remove(String id) {
    int slot = ids.slotOf(id);
    if (slot < 0 || kindOf[slot] == REMOVED) {
      return;
    }
    size--;
    kindOf[slot] = REMOVED;
    createdAt[slot] = logEnd();
    if (contents != null) {
      contents.clear(slot);
    }
    if (retiredTail == retired.length) {
      int live = retiredTail - retiredHead;
      int n = 2 * live >= retired.length ? IdTable.grown(retired.length) : retired.length;
      int[] slots = new int[n];
      long[] at = new long[n];
      System.arraycopy(retired, retiredHead, slots, 0, live);
      System.arraycopy(retiredAt, retiredHead, at, 0, live);
      retired = slots;
      retiredAt = at;
      retiredHead = 0;
      retiredTail = live;
    }
    retired[retiredTail] = slot;
    retiredAt[retiredTail++] = logEnd();
    logged(slot);
  }

  private void logged(int slot) {
    if (logTail == log.length) {
      int live = logTail - logHead;
      int[] next = 2 * live >= log.length ? new int[IdTable.grown(log.length)] : log;
      System.arraycopy(log, logHead, next, 0, live);
      log = next;
      logHead = 0;
      logTail = live;
    }
    log[logTail++] = slot;
    trim();
  }

  /**
   * Drops the log entries every reader has passed, and hands out again the slots whose removal they all passed; when
   * the log is still longer than twice the items (or {@link #MIN_LOG}), drops its older half anyway (though never past
   * a reader whose search is in progress): the readers left behind start afresh at their next {@link #changes}.
   */
  private void trim() {
    long end = logEnd();
    long keepFrom = end;
    long keepForBusy = end;
    for (Reader r : readers.keySet()) {
      if (r.position >= base) {
        keepFrom = Math.min(keepFrom, r.position);
        if (r.busy) {
          keepForBusy = Math.min(keepForBusy, r.position);
        }
      }
    }
    if (end - keepFrom > Math.max(MIN_LOG, 2L * size)) {
      // a reader in the middle of a search keeps its place: the log then grows only by what arrives during one search
      keepFrom = Math.min(keepForBusy, Math.max(keepFrom, base + (end - base) / 2));
    }
    if (keepFrom > base) {
      logHead += (int) (keepFrom - base);
      base = keepFrom;
      int live = logTail - logHead;
      if (log.length > MIN_LOG && 4L * live < log.length) {
        // most of the log's array is no longer needed (the entries of a bulk load that every reader has passed)
        int[] next = new int[Math.max(MIN_LOG, 2 * live)];
        System.arraycopy(log, logHead, next, 0, live);
        log = next;
        logHead = 0;
        logTail = live;
      }
    }
    while (retiredHead < retiredTail && retiredAt[retiredHead] < base) {
      int slot = retired[retiredHead];
      if (kindOf[slot] == REMOVED && createdAt[slot] == retiredAt[retiredHead]) {
        ids.remove(slot); // still removed since this removal (not added again, nor removed again later)
      }
      retiredHead++;
    }
    if (retiredHead == retiredTail && retired.length > 16) {
      retired = new int[16];
      retiredAt = new long[16];
      retiredHead = 0;
      retiredTail = 0;
    }
  }

  /** A new reader of the change log: its first {@link #changes} are every live slot. */
  synchronized Reader reader() {
    Reader r = new Reader();
    readers.put(r, Boolean.TRUE);
    return r;
  }

  /**
   * The changes {@code reader} has not been given yet (every live slot when it is new or was left behind); it is then
   * at the end of the log, and busy until {@link #done}. The slots it names, and any row it holds, keep their ids until
   * its next call (unless the index is emptied meanwhile: {@link #ids} says so).
   */
  synchronized Changes changes(Reader reader) {
    long end = logEnd();
    int[] slots;
    boolean afresh = reader.position < base;
    if (afresh) {
      slots = new int[size];
      int n = 0;
      for (int s = 0; s < ids.slots(); s++) {
        if (kindOf[s] != REMOVED) {
          slots[n++] = s;
        }
      }
    } else {
      int from = logHead + (int) (reader.position - base);
      slots = Arrays.copyOfRange(log, from, logTail);
    }
    int[] kindsNow = new int[slots.length];
    for (int i = 0; i < slots.length; i++) {
      kindsNow[i] = kindOf[slots[i]];
    }
    reader.position = end;
    reader.busy = true;
    trim();
    return new Changes(slots, kindsNow, afresh);
  }

  /** The reader's search is over: until its next {@link #changes} it may be cut loose if it falls far behind. */
  synchronized void done(Reader reader) {
    reader.busy = false;
    trim();
  }

  /**
   * The ids of {@code slots} for {@code reader}, or null when it was cut loose since its last {@link #changes} (the
   * index was emptied, or it was not busy and fell far behind: a slot it holds may be another item's now, so it must
   * start afresh).
   */
  synchronized String[] ids(Reader reader, int[] slots) {
    if (reader.position < base) {
      return null;
    }
    String[] out = new String[slots.length];
    for (int i = 0; i < slots.length; i++) {
      out[i] = ids.id(slots[i]);
    }
    return out;
  }

  /** The encoder key of a kind (a number from {@link Changes#kinds}), or null for one the index no longer has. */
  synchronized String encoderKeyOf(int kind) {
    return kind < kinds.size() ? kinds.get(kind).encoderKey() : null;
  }

  /** Per kind number: whether its items are of {@code source}. */
  synchronized boolean[] kindsOfSource(String source) {
    boolean[] of = new boolean[kinds.size()];
    for (int i = 0; i < of.length; i++) {
      of[i] = source.equals(kinds.get(i).source());
    }
    return of;
  }

  /**
   * The projected gallery of one mapping version, shared by every task of the instance: made by {@code make} on first
   * use. The older versions of the same mapping stay until the newer one is ready to serve ({@link #dropOlder}), so
   * the instance answers with them while it is projected; at most {@link #MAX_PROJECTIONS} are kept, the least
   * recently used dropped first.
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

  /** The projected gallery of one mapping version if the instance has one, else null (none is made). */
  public synchronized ProjectedGallery existing(String mapping, long version) {
    return projections.get(mapping + "\u0000" + version);
  }

  /**
   * The newest version of a mapping below {@code version} whose gallery the instance has projected, with that gallery,
   * or null: what a task answers with while {@code version}'s gallery is projected.
   */
  public synchronized Map.Entry<Long, ProjectedGallery> newestPrepared(String mapping, long version) {
    Map.Entry<Long, ProjectedGallery> best = null;
    for (Map.Entry<String, ProjectedGallery> e : projections.entrySet()) {
      long v = versionOf(e.getKey());
      if (mappingOf(e.getKey()).equals(mapping) && v < version && e.getValue().isPrepared()
          && (best == null || v > best.getKey())) {
        best = Map.entry(v, e.getValue());
      }
    }
    return best;
  }

  /**
   * A mapping's version is ready and serves from now on: its older versions' projections go (replicated mode; a task
   * still searching one keeps its reference until it is done). A gallery partition (sharded mode) keeps them until
   * {@link #dropIdle} finds them unused, since a query pinned to one may still come.
   */
  public synchronized void dropOlder(String mapping, long version) {
    if (!keepsOlderVersions) {
      projections.keySet().removeIf(k -> mappingOf(k).equals(mapping) && versionOf(k) < version);
      lastUsed.keySet().retainAll(projections.keySet());
    }
  }

  /**
   * Drops the projections of every mapping's older versions not asked for in the last {@code idleNanos} (the newest
   * version of each mapping stays): after a swap, the older matrix stays only while queries pinned to it still come.
   *
   * @return how many were dropped
   */
  public synchronized int dropIdle(long idleNanos) {
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
  public synchronized int projections() {
    return projections.size();
  }

  /**
   * The id of an item whose embedding carries {@code contentHash} and was made by {@code encoderKey}'s encoder, or null
   * (none, or none known: see {@link ContentTable}). The index keeps a 64-bit key of the two, so the caller checks
   * the stored embedding's own hash and encoder before using its vector.
   */
  public synchronized String withContent(String contentHash, String encoderKey) {
    if (contents == null) {
      return null;
    }
    int slot = contents.slotOf(ContentTable.key(contentHash, encoderKey));
    if (slot < 0 || kindOf[slot] == REMOVED || !kinds.get(kindOf[slot]).encoderKey().equals(encoderKey)) {
      return null;
    }
    return ids.id(slot);
  }

  /** Items found by content ({@link #withContent}): those that carry a content hash. */
  synchronized int withContents() {
    return contents == null ? 0 : contents.size();
  }

  /** What the index holds for {@code id}, or null. */
  synchronized Item get(String id) {
    int slot = ids.slotOf(id);
    if (slot < 0 || kindOf[slot] == REMOVED) {
      return null;
    }
    Kind kind = kinds.get(kindOf[slot]);
    return new Item(id, kind.source(), kind.encoderKey(), createdAt[slot]);
  }

  public synchronized int size() {
    return size;
  }

  /** Whether a query task holds the index (and so it follows the global store). */
  public synchronized boolean held() {
    return holders > 0;
  }

  /** Entries the change log keeps (none once every reader has caught up; at most twice the items, or {@link #MIN_LOG}, beyond the slowest). */
  synchronized int logLength() {
    return logTail - logHead;
  }

  /** Position of the end of the change log. */
  synchronized long logEnd() {
    return base + (logTail - logHead);
  }
}
