package io.xmodal.query.gallery;

import io.xmodal.mapping.CrossModalMap;
import io.xmodal.mapping.TopK;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One modality's gallery in one mapping's comparison space: a contiguous float32 matrix of projected rows, searched by
 * one matrix product per query batch, with the mapping's hubness penalties. This matrix is the only copy of the
 * gallery's vectors in memory: rows are projected from the raw vectors in the global store ({@link
 * GalleryIndex.RawVectors}) when they are added or replaced, and a source filter is applied to the scores, not by
 * keeping a filtered copy. Catches up with its {@link GalleryIndex} incrementally; items made by another encoder than
 * the mapping's are left out. Hubness penalties depend only on an item and the reference queries, so new items get
 * theirs without touching the others. Shared by the query tasks of an instance (kept by the index): a search holds its
 * lock.
 *
 * <p>Beside the matrix it keeps per row only the index slot of its item (the ids are the index's, held once), its kind
 * (source and encoder, as a number) and its penalty, and per index slot its row: 16 bytes per item.
 */
public final class ProjectedGallery {

  private static final Logger LOG = LoggerFactory.getLogger(ProjectedGallery.class);

  /** Rows projected at a time. */
  static final int CHUNK = 8192;

  private static final Comparator<Map.Entry<String, Float>> BEST_FIRST =
      Comparator.<Map.Entry<String, Float>, Float>comparing(Map.Entry::getValue,
          Comparator.reverseOrder()).thenComparing(Map.Entry::getKey);

  private final GalleryIndex index;
  private final GalleryIndex.Reader reader;
  private final CrossModalMap map;
  private final boolean images;
  private final String encoderKey;
  private final INDArray references;
  /** Rows in use: rows {@code 0..rows-1} of every per-row array and of the matrix. */
  private int rows;
  /** Per row: the index slot of its item. */
  private int[] rowSlot = new int[0];
  /** Per row: its item's kind (source and encoder key) as of the change that made the row, for the source filter. */
  private int[] rowKind = new int[0];
  /** Per index slot: its row + 1, 0 when it has none. */
  private int[] slotRow = new int[0];
  /** Per kind: 1 when its items are made by the mapping's encoder, 2 when not, 0 not asked yet. */
  private byte[] kindBelongs = new byte[0];
  /** Rows added or replaced since the last projection. */
  private final BitSet pending = new BitSet();
  /**
   * The rows as they became pending, oldest first (a row that stopped being pending and became so again appears
   * twice; its last place counts): the order they are projected in, as when a projection's rows were an insertion-
   * ordered set, so each row's float rounding stays what it was. Emptied by each projection.
   */
  private int[] pendingOrder = new int[0];
  private int pendingCount;
  private INDArray buffer;
  private float[] penalties = new float[0];
  /** The first projection of the whole gallery, made off the stream threads ({@link #awaitPrepared}); null before. */
  private CompletableFuture<Boolean> preparation;
  /** Whether that first projection is done (or failed, so searches project for themselves, as before it existed). */
  private volatile boolean prepared;
  /** First projections that failed ({@link #awaitPrepared}). */
  private final AtomicInteger failures = new AtomicInteger();
  /** Guards {@link #preparation} (not this gallery's lock, which the preparation holds while it runs). */
  private final Object preparing = new Object();

  /**
   * @param images     true for the image gallery (text→image), false for the caption gallery
   * @param references the mapping's reference queries of the other modality (projected here), or null
   */
  public ProjectedGallery(GalleryIndex index, CrossModalMap map, boolean images, String encoderKey,
                          INDArray references) {
    this(index, map, images, encoderKey, references, false);
  }

  /** @param mapped whether {@code references} are mapped by {@code map} already (as a MappingModel keeps them) */
  public ProjectedGallery(GalleryIndex index, CrossModalMap map, boolean images, String encoderKey,
                          INDArray references, boolean mapped) {
    this.index = index;
    this.reader = index.reader();
    this.map = map;
    this.images = images;
    this.encoderKey = encoderKey;
    this.references = references == null || mapped ? references
        : (images ? map.projectText(references) : map.projectImages(references));
  }

  /**
   * Applies the index's changes since the last call: a row for each changed slot whose item belongs here (added, or
   * marked for projection again), none for the others; or, when the index says so, every row again from its live
   * items (projected again next).
   */
  private void refresh() {
    GalleryIndex.Changes changes = index.changes(reader);
    int[] slots = changes.slots();
    int[] kinds = changes.kinds();
    if (changes.afresh()) {
      rows = 0;
      clearPending();
      kindBelongs = new byte[0];
      int slotCount = 0;
      for (int slot : slots) {
        slotCount = Math.max(slotCount, slot + 1);
      }
      slotRow = new int[slotCount];
      if (rowSlot.length < slots.length) {
        rowSlot = new int[slots.length];
        rowKind = new int[slots.length];
      }
    }
    for (int i = 0; i < slots.length; i++) {
      if (kinds[i] == GalleryIndex.REMOVED || !belongs(kinds[i])) {
        // deleted, or now made by another encoder: no longer in this gallery
        removeRow(slots[i]);
      } else {
        setRow(slots[i], kinds[i]);
      }
    }
  }

  private boolean belongs(int kind) {
    if (kind >= kindBelongs.length) {
      kindBelongs = Arrays.copyOf(kindBelongs, kind + 8);
    }
    if (kindBelongs[kind] == 0) {
      kindBelongs[kind] = (byte) (encoderKey.equals(index.encoderKeyOf(kind)) ? 1 : 2);
    }
    return kindBelongs[kind] == 1;
  }

  private void setRow(int slot, int kind) {
    int row = slot < slotRow.length ? slotRow[slot] - 1 : -1;
    if (row < 0) {
      if (rows == rowSlot.length) {
        int n = IdTable.grown(rowSlot.length);
        rowSlot = Arrays.copyOf(rowSlot, n);
        rowKind = Arrays.copyOf(rowKind, n);
      }
      row = rows++;
      rowSlot[row] = slot;
      if (slot >= slotRow.length) {
        slotRow = Arrays.copyOf(slotRow, Math.max(slot + 1, IdTable.grown(slotRow.length)));
      }
      slotRow[slot] = row + 1;
    }
    rowKind[row] = kind;
    markPending(row);
  }

  private void markPending(int row) {
    if (pending.get(row)) {
      return;
    }
    pending.set(row);
    if (pendingCount == pendingOrder.length) {
      pendingOrder = Arrays.copyOf(pendingOrder, IdTable.grown(pendingOrder.length));
    }
    pendingOrder[pendingCount++] = row;
  }

  /** The pending rows in the order they became pending (each at its last place). */
  private int[] pendingRows() {
    int[] out = new int[pending.cardinality()];
    BitSet seen = new BitSet();
    int n = out.length;
    for (int i = pendingCount - 1; i >= 0 && n > 0; i--) {
      int row = pendingOrder[i];
      if (pending.get(row) && !seen.get(row)) {
        seen.set(row);
        out[--n] = row;
      }
    }
    return out;
  }

  private void clearPending() {
    pending.clear();
    pendingCount = 0;
    pendingOrder = new int[0];
  }

  /**
   * Bytes of the off-heap matrix and the penalties as allocated (capacity, headroom included): the part of the
   * gallery's memory a heap measurement does not see.
   */
  public synchronized long allocatedBytes() {
    return (buffer == null ? 0 : buffer.data().length() * buffer.data().getElementSize()) + 4L * penalties.length;
  }

  /** Rows (items) in the gallery now. */
  public synchronized int size() {
    return rows;
  }

  /** Drops a slot's row: the last row moves into its place, so the rows stay contiguous. */
  private void removeRow(int slot) {
    int row = slot < slotRow.length ? slotRow[slot] - 1 : -1;
    if (row < 0) {
      return;
    }
    slotRow[slot] = 0;
    int last = rows - 1;
    boolean lastPending = pending.get(last);
    pending.clear(last);
    pending.clear(row);
    if (row != last) {
      int moved = rowSlot[last];
      rowSlot[row] = moved;
      rowKind[row] = rowKind[last];
      slotRow[moved] = row + 1;
      if (lastPending) {
        markPending(row);
      } else if (buffer != null) {
        buffer.putRow(row, buffer.getRow(last));
        penalties[row] = penalties[last];
      }
    }
    rows--;
  }

  /**
   * Whether this gallery is ready to search without a bulk projection. The first caller starts its first projection
   * (every row the index holds) on the JVM's projection thread and waits for it at most what is left of {@code wait}
   * for its thread ({@link Projector}); later callers only look. A new mapping version (or a restart)
   * projects the whole gallery, which for a large one takes longer than a stream thread's transaction may stay open
   * (query-stream's is 10 s: a 50,000-item gallery against 1,024 hubness references takes about that on 2 cores);
   * the caller answers with a version that is ready meanwhile, or holds its queries back. Rows that arrive later are
   * projected by the searches, as before.
   *
   * <p>A projection that fails (a store closed by a rebalance, say) is started again by the next caller; after
   * {@link #MAX_FAILURES} failures this returns true, so searches project for themselves and meet the error where
   * the caller handles errors, as before projections were made here.
   *
   * @return true when a search will not project the whole gallery: the first projection is done, or it failed for good
   */
  public boolean awaitPrepared(GalleryIndex.RawVectors vectors, Duration wait) {
    if (prepared) {
      return true;
    }
    CompletableFuture<Boolean> f;
    boolean started = false;
    synchronized (preparing) {
      if (preparation == null || preparation.isDone() && !prepared) {
        // not started; or it failed, or the index was emptied while it ran (every task let go): from what it holds now
        preparation = index.projector().submit(() -> prepareOrCount(vectors));
        started = true;
      }
      f = preparation;
    }
    long allowed = started ? index.projector().budget(Math.max(0, wait.toNanos())) : 0;
    long from = System.nanoTime();
    try {
      f.get(allowed, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      // not ready yet
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      prepared = true; // an Error: searches project for themselves and meet it where it is handled
    } finally {
      if (allowed > 0) {
        index.projector().spend(System.nanoTime() - from);
      }
    }
    return prepared;
  }

  /** Whether the first projection is under way (started, not finished, neither ready nor failed yet). */
  boolean preparing() {
    synchronized (preparing) {
      return !prepared && preparation != null && !preparation.isDone();
    }
  }

  /** Whether the first projection is done: a search projects only rows that came since. */
  boolean isPrepared() {
    return prepared;
  }

  /** Failed projections after which searches project for themselves ({@link #awaitPrepared}). */
  static final int MAX_FAILURES = 3;

  private boolean prepareOrCount(GalleryIndex.RawVectors vectors) {
    try {
      return prepare(vectors);
    } catch (RuntimeException e) {
      int n = failures.incrementAndGet();
      if (n >= MAX_FAILURES) {
        prepared = true;
      }
      LOG.warn("projecting the {} gallery ({} items) failed ({} of {}): {}; {}", images ? "image" : "caption",
          index.size(), n, MAX_FAILURES, e.toString(), n >= MAX_FAILURES
              ? "searches project for themselves from now on" : "the next query batch tries again");
      return false;
    }
  }

  /** Projects every pending row (the first projection): on the index's {@link Projector}, holding this gallery's lock. */
  private synchronized boolean prepare(GalleryIndex.RawVectors vectors) {
    try {
      refresh();
      if (ensureProjected(vectors)) {
        prepared = true;
      }
      return prepared;
    } finally {
      index.done(reader);
    }
  }

  /**
   * Top-k (id, score) per query row among the items of {@code source} (null: all); queries are raw L2-normalised
   * embeddings of the other modality, and {@code vectors} reads the raw vectors of rows to project.
   *
   * <p>The hits are named by the index at the end; the index keeps every slot this gallery holds for that long. Only if
   * the index was emptied meanwhile (its last task closed) is the search made again, from what it holds then.
   */
  public synchronized List<List<Map.Entry<String, Float>>> search(INDArray queries, int k, String source,
                                                                   GalleryIndex.RawVectors vectors) {
    try {
      return searchOnce(queries, k, source, vectors);
    } finally {
      index.done(reader);
    }
  }

  private List<List<Map.Entry<String, Float>>> searchOnce(INDArray queries, int k, String source,
                                                          GalleryIndex.RawVectors vectors) {
    while (true) {
      refresh();
      if (!ensureProjected(vectors)) {
        continue;
      }
      prepared = true;
      List<List<Map.Entry<String, Float>>> out = new ArrayList<>();
      if (rows == 0) {
        for (int i = 0; i < queries.rows(); i++) {
          out.add(List.of());
        }
        return out;
      }
      boolean[] ofSource = source == null ? null : index.kindsOfSource(source);
      INDArray q = images ? map.projectText(queries) : map.projectImages(queries);
      INDArray matrix = buffer.get(NDArrayIndex.interval(0, rows), NDArrayIndex.all());
      float[][] scores = q.mmul(matrix.transpose()).toFloatMatrix();
      int[][] hitRows = new int[scores.length][];
      int hitCount = 0;
      for (int i = 0; i < scores.length; i++) {
        float[] row = scores[i];
        for (int j = 0; j < row.length; j++) {
          boolean keep = ofSource == null || (rowKind[j] < ofSource.length && ofSource[rowKind[j]]);
          row[j] = keep ? row[j] - penalties[j] : Float.NEGATIVE_INFINITY;
        }
        hitRows[i] = Arrays.stream(TopK.indices(row, k)).filter(j -> row[j] != Float.NEGATIVE_INFINITY).toArray();
        hitCount += hitRows[i].length;
      }
      int[] hitSlots = new int[hitCount];
      int n = 0;
      for (int[] hits : hitRows) {
        for (int j : hits) {
          hitSlots[n++] = rowSlot[j];
        }
      }
      String[] names = index.ids(reader, hitSlots);
      if (names == null) {
        continue; // the index was emptied while searching: again, afresh
      }
      n = 0;
      for (int i = 0; i < scores.length; i++) {
        List<Map.Entry<String, Float>> hits = new ArrayList<>();
        for (int j : hitRows[i]) {
          hits.add(Map.entry(names[n++], scores[i][j]));
        }
        hits.sort(BEST_FIRST); // equal scores (duplicate items) by id: the order a sharded search's merge gives them
        out.add(hits);
      }
      return out;
    }
  }

  /**
   * Projects the pending rows (only those) from their raw vectors, a chunk of {@link #CHUNK} rows at a time (a restart
   * or a new mapping version projects the whole gallery: its raw vectors are never all in memory at once), into a
   * matrix that grows to exactly its rows for such a bulk load, and by an eighth for a trickle of new items; their
   * penalties likewise. A row whose vector is no longer in the store leaves the gallery (its removal is on its way
   * through the change log too).
   *
   * @return false when the index was emptied meanwhile (this gallery starts afresh at its next refresh)
   */
  private boolean ensureProjected(GalleryIndex.RawVectors vectors) {
    if (pending.isEmpty()) {
      return true;
    }
    int[] todo = pendingRows();
    List<Integer> gone = new ArrayList<>();
    for (int from = 0; from < todo.length; from += CHUNK) {
      int[] chunk = Arrays.copyOfRange(todo, from, Math.min(todo.length, from + CHUNK));
      int[] slots = new int[chunk.length];
      for (int i = 0; i < chunk.length; i++) {
        slots[i] = rowSlot[chunk[i]];
      }
      String[] names = index.ids(reader, slots);
      if (names == null) {
        return false;
      }
      List<Integer> found = new ArrayList<>();
      List<float[]> raw = new ArrayList<>();
      for (int i = 0; i < chunk.length; i++) {
        float[] v = names[i] == null ? null : vectors.vector(names[i]);
        if (v == null) {
          gone.add(slots[i]);
        } else {
          found.add(chunk[i]);
          raw.add(v);
        }
      }
      if (raw.isEmpty()) {
        continue;
      }
      INDArray x = Nd4j.create(raw.toArray(float[][]::new)).castTo(DataType.FLOAT);
      INDArray z = images ? map.projectImages(x) : map.projectText(x);
      float[] p = map.hubness().penalties(z, references);
      ensureCapacity(z.columns(), todo.length);
      for (int i = 0; i < found.size(); i++) {
        buffer.putRow(found.get(i), z.getRow(i));
        penalties[found.get(i)] = p[i];
      }
    }
    clearPending();
    gone.forEach(this::removeRow); // every row is projected now: a row moved into a removed one's place brings its own
    return true;
  }

  /**
   * Room for every row: exactly the rows when {@code adding} is a bulk load (an eighth of the gallery or more: the
   * matrix is the gallery's memory), otherwise an eighth of headroom, so a copy costs at most 8 row copies per added
   * row.
   */
  private void ensureCapacity(int columns, int adding) {
    if (buffer != null && buffer.rows() >= rows) {
      return;
    }
    int capacity = adding >= rows / 8 ? rows : Math.max(1024, rows + rows / 8);
    INDArray grown = Nd4j.zeros(DataType.FLOAT, capacity, columns);
    if (buffer != null) {
      grown.get(NDArrayIndex.interval(0, buffer.rows()), NDArrayIndex.all()).assign(buffer);
    }
    buffer = grown;
    penalties = Arrays.copyOf(penalties, capacity);
  }

}
