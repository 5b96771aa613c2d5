package io.xmodal.query;

import io.xmodal.mapping.CrossModalMap;
import io.xmodal.mapping.TopK;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One modality's gallery in one mapping's comparison space: a contiguous float32 matrix of projected rows, searched by
 * one matrix product per query batch, with the mapping's hubness penalties. This matrix is the only copy of the
 * gallery's vectors in memory: rows are projected from the raw vectors in the global store ({@link
 * GalleryIndex.RawVectors}) when they are added or replaced, and a source filter is applied to the scores, not by
 * keeping a filtered copy. Catches up with its {@link GalleryIndex} incrementally; items made by another encoder than
 * the mapping's are left out. Hubness penalties depend only on an item and the reference queries, so new items get
 * theirs without touching the others. Shared by the query tasks of an instance (kept by the index): a search holds its
 * lock.
 */
public final class ProjectedGallery {

  /** Rows projected at a time. */
  static final int CHUNK = 8192;

  private static final java.util.Comparator<Map.Entry<String, Float>> BEST_FIRST =
      java.util.Comparator.<Map.Entry<String, Float>, Float>comparing(Map.Entry::getValue,
          java.util.Comparator.reverseOrder()).thenComparing(Map.Entry::getKey);

  private final GalleryIndex index;
  private final CrossModalMap map;
  private final boolean images;
  private final String encoderKey;
  private final INDArray references;
  private final List<String> ids = new ArrayList<>();
  /** Each row's source (the strings are the index's items'), for the source filter. */
  private final List<String> sources = new ArrayList<>();
  private final RowIndex rowOf = new RowIndex(ids);
  /** Rows added or replaced since the last projection. */
  private final Set<Integer> pending = new LinkedHashSet<>();
  private INDArray buffer;
  private float[] penalties = new float[0];
  private long logPosition;

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
    this.map = map;
    this.images = images;
    this.encoderKey = encoderKey;
    this.references = references == null || mapped ? references
        : (images ? map.projectText(references) : map.projectImages(references));
  }

  /** Applies the index's changes since the last call; rebuilds every row if the index's log no longer reaches back. */
  private void refresh() {
    if (index.logEnd() == logPosition) {
      return;
    }
    GalleryIndex.Changes changes = index.changedSince(logPosition);
    if (changes == null) {
      rebuild();
      return;
    }
    for (String id : changes.ids()) {
      GalleryIndex.Item item = index.get(id);
      if (item == null || !belongs(item)) {
        // deleted, or now made by another encoder: no longer in this gallery
        removeRow(id);
        continue;
      }
      setRow(item);
    }
    logPosition = changes.end();
  }

  /** Every row again from the index's items (projected again at the next search). */
  private void rebuild() {
    GalleryIndex.Snapshot snapshot = index.snapshot();
    ids.clear();
    sources.clear();
    rowOf.clear();
    pending.clear();
    for (GalleryIndex.Item item : snapshot.items()) {
      if (belongs(item)) {
        setRow(item);
      }
    }
    logPosition = snapshot.end();
  }

  private boolean belongs(GalleryIndex.Item item) {
    return encoderKey.equals(item.encoderKey());
  }

  private void setRow(GalleryIndex.Item item) {
    Integer row = rowOf.get(item.id());
    if (row == null) {
      row = ids.size();
      ids.add(item.id());
      sources.add(item.source());
      rowOf.put(item.id(), row);
    } else {
      sources.set(row, item.source());
    }
    pending.add(row);
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
    return ids.size();
  }

  /** Drops an item's row: the last row moves into its place, so the rows stay contiguous. */
  private void removeRow(String id) {
    Integer row = rowOf.remove(id);
    if (row == null) {
      return;
    }
    int last = ids.size() - 1;
    boolean lastPending = pending.remove(last);
    pending.remove(row);
    if (row != last) {
      String moved = ids.get(last);
      ids.set(row, moved);
      sources.set(row, sources.get(last));
      rowOf.put(moved, row);
      if (lastPending) {
        pending.add(row);
      } else if (buffer != null) {
        buffer.putRow(row, buffer.getRow(last));
        penalties[row] = penalties[last];
      }
    }
    ids.remove(last);
    sources.remove(last);
  }

  /**
   * Top-k (id, score) per query row among the items of {@code source} (null: all); queries are raw L2-normalised
   * embeddings of the other modality, and {@code vectors} reads the raw vectors of rows to project.
   */
  public synchronized List<List<Map.Entry<String, Float>>> search(INDArray queries, int k, String source,
                                                                   GalleryIndex.RawVectors vectors) {
    refresh();
    ensureProjected(vectors);
    List<List<Map.Entry<String, Float>>> out = new ArrayList<>();
    if (ids.isEmpty()) {
      for (int i = 0; i < queries.rows(); i++) {
        out.add(List.of());
      }
      return out;
    }
    INDArray q = images ? map.projectText(queries) : map.projectImages(queries);
    INDArray rows = buffer.get(NDArrayIndex.interval(0, ids.size()), NDArrayIndex.all());
    float[][] scores = q.mmul(rows.transpose()).toFloatMatrix();
    for (float[] row : scores) {
      for (int j = 0; j < row.length; j++) {
        row[j] = source == null || source.equals(sources.get(j)) ? row[j] - penalties[j] : Float.NEGATIVE_INFINITY;
      }
      List<Map.Entry<String, Float>> hits = new ArrayList<>();
      for (int j : TopK.indices(row, k)) {
        if (row[j] != Float.NEGATIVE_INFINITY) {
          hits.add(Map.entry(ids.get(j), row[j]));
        }
      }
      hits.sort(BEST_FIRST); // equal scores (duplicate items) by id: the order a sharded search's merge gives them
      out.add(hits);
    }
    return out;
  }

  /**
   * Projects the pending rows (only those) from their raw vectors, a chunk of {@link #CHUNK} rows at a time (a restart
   * or a new mapping version projects the whole gallery: its raw vectors are never all in memory at once), into a
   * matrix that grows to exactly its rows for such a bulk load, and by an eighth for a trickle of new items; their
   * penalties likewise. A row whose vector is no longer in the store leaves the gallery (its removal is on its way
   * through the change log too).
   */
  private void ensureProjected(GalleryIndex.RawVectors vectors) {
    if (pending.isEmpty()) {
      return;
    }
    int[] rows = pending.stream().mapToInt(Integer::intValue).toArray();
    List<String> gone = new ArrayList<>();
    for (int from = 0; from < rows.length; from += CHUNK) {
      List<Integer> found = new ArrayList<>();
      List<float[]> raw = new ArrayList<>();
      for (int i = from; i < Math.min(rows.length, from + CHUNK); i++) {
        float[] v = vectors.vector(ids.get(rows[i]));
        if (v == null) {
          gone.add(ids.get(rows[i]));
        } else {
          found.add(rows[i]);
          raw.add(v);
        }
      }
      if (raw.isEmpty()) {
        continue;
      }
      INDArray x = Nd4j.create(raw.toArray(float[][]::new)).castTo(DataType.FLOAT);
      INDArray z = images ? map.projectImages(x) : map.projectText(x);
      float[] p = map.hubness().penalties(z, references);
      ensureCapacity(z.columns(), rows.length);
      for (int i = 0; i < found.size(); i++) {
        buffer.putRow(found.get(i), z.getRow(i));
        penalties[found.get(i)] = p[i];
      }
    }
    pending.clear();
    gone.forEach(this::removeRow); // every row is projected now: a row moved into a removed one's place brings its own
  }

  /**
   * Room for every row: exactly the rows when {@code adding} is a bulk load (an eighth of the gallery or more: the
   * matrix is the gallery's memory), otherwise an eighth of headroom, so a copy costs at most 8 row copies per added
   * row.
   */
  private void ensureCapacity(int columns, int adding) {
    if (buffer != null && buffer.rows() >= ids.size()) {
      return;
    }
    int capacity = adding >= ids.size() / 8 ? ids.size() : Math.max(1024, ids.size() + ids.size() / 8);
    INDArray grown = Nd4j.zeros(DataType.FLOAT, capacity, columns);
    if (buffer != null) {
      grown.get(NDArrayIndex.interval(0, buffer.rows()), NDArrayIndex.all()).assign(buffer);
    }
    buffer = grown;
    penalties = Arrays.copyOf(penalties, capacity);
  }

}
