package io.xmodal.query;

import io.xmodal.mapping.CrossModalMap;
import io.xmodal.mapping.TopK;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
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
  private final Map<String, Integer> rowOf = new HashMap<>();
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
    this.index = index;
    this.map = map;
    this.images = images;
    this.encoderKey = encoderKey;
    this.references = references == null ? null
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
      rowOf.put(item.id(), row);
      ids.add(item.id());
      sources.add(item.source());
    } else {
      sources.set(row, item.source());
    }
    pending.add(row);
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
      } else {
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
   * Projects the pending rows (only those) from their raw vectors, into a buffer that grows by an eighth when full;
   * their penalties likewise. A row whose vector is no longer in the store leaves the gallery (its removal is on its way
   * through the change log too).
   */
  private void ensureProjected(GalleryIndex.RawVectors vectors) {
    if (pending.isEmpty()) {
      return;
    }
    Map<String, float[]> found = new HashMap<>();
    List<String> gone = new ArrayList<>();
    for (int row : pending) {
      String id = ids.get(row);
      float[] v = vectors.vector(id);
      if (v == null) {
        gone.add(id);
      } else {
        found.put(id, v);
      }
    }
    gone.forEach(this::removeRow); // while still pending: a row moved into a removed one's place stays pending
    if (pending.isEmpty()) {
      return;
    }
    int[] rows = pending.stream().mapToInt(Integer::intValue).toArray();
    float[][] raw = new float[rows.length][];
    for (int i = 0; i < rows.length; i++) {
      raw[i] = found.get(ids.get(rows[i]));
    }
    INDArray x = Nd4j.create(raw).castTo(DataType.FLOAT);
    INDArray z = images ? map.projectImages(x) : map.projectText(x);
    float[] p = map.hubness().penalties(z, references);
    if (buffer == null || buffer.rows() < ids.size()) {
      // an eighth of headroom, not a doubling: the matrix is the gallery's memory, and a copy per 1/8 growth costs
      // at most 8 row copies per added row
      int capacity = Math.max(1024, ids.size() + ids.size() / 8);
      INDArray grown = Nd4j.zeros(DataType.FLOAT, capacity, z.columns());
      if (buffer != null) {
        grown.get(NDArrayIndex.interval(0, buffer.rows()), NDArrayIndex.all()).assign(buffer);
      }
      buffer = grown;
      penalties = Arrays.copyOf(penalties, capacity);
    }
    for (int i = 0; i < rows.length; i++) {
      buffer.putRow(rows[i], z.getRow(i));
      penalties[rows[i]] = p[i];
    }
    pending.clear();
  }
}
