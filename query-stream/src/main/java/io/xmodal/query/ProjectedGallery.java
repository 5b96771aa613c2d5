package io.xmodal.query;

import io.xmodal.mapping.CrossModalMap;
import io.xmodal.mapping.TopK;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One modality's gallery in one mapping's comparison space, for one source filter: a contiguous float matrix of
 * projected, unit-length rows, searched by one matrix product per query batch, with the mapping's hubness penalties.
 * Catches up with its {@link GalleryIndex} incrementally; items made by another encoder than the mapping's are left
 * out. Hubness penalties depend only on an item and the reference queries, so new items get theirs without touching
 * the others. Owned by one stream thread (or by {@code ./xmodal bench query}, which measures this search path).
 */
public final class ProjectedGallery {

  private final GalleryIndex index;
  private final CrossModalMap map;
  private final boolean images;
  private final String encoderKey;
  private final String source;
  private final INDArray references;
  private final List<String> ids = new ArrayList<>();
  private final Map<String, Integer> rowOf = new HashMap<>();
  /** Rows (index, raw vector) added or replaced since the last projection. */
  private final Map<Integer, float[]> pending = new java.util.LinkedHashMap<>();
  private INDArray buffer;
  private float[] penalties = new float[0];
  private long logPosition;

  /**
   * @param images     true for the image gallery (text→image), false for the caption gallery
   * @param source     only items from this source, or null for all
   * @param references the mapping's reference queries of the other modality (projected here), or null
   */
  public ProjectedGallery(GalleryIndex index, CrossModalMap map, boolean images, String encoderKey, String source,
                          INDArray references) {
    this.index = index;
    this.map = map;
    this.images = images;
    this.encoderKey = encoderKey;
    this.source = source;
    this.references = references == null ? null
        : (images ? map.projectText(references) : map.projectImages(references));
  }

  /** Applies the index's changes since the last call; rebuilds every row if the index's log no longer reaches back. */
  void refresh() {
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
        // deleted, or now made by another encoder or from another source: no longer in this gallery
        removeRow(id);
        continue;
      }
      setRow(item);
    }
    logPosition = changes.end();
  }

  /** Every row again from the index's items (their projections are recomputed at the next search). */
  private void rebuild() {
    GalleryIndex.Snapshot snapshot = index.snapshot();
    ids.clear();
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
    return encoderKey.equals(item.encoderKey()) && (source == null || source.equals(item.source()));
  }

  private void setRow(GalleryIndex.Item item) {
    Integer row = rowOf.get(item.id());
    if (row == null) {
      row = ids.size();
      rowOf.put(item.id(), row);
      ids.add(item.id());
    }
    pending.put(row, item.vector());
  }

  int size() {
    return ids.size();
  }

  /** Drops an item's row: the last row moves into its place, so the rows stay contiguous. */
  private void removeRow(String id) {
    Integer row = rowOf.remove(id);
    if (row == null) {
      return;
    }
    int last = ids.size() - 1;
    float[] lastPending = pending.remove(last);
    pending.remove(row);
    if (row != last) {
      String moved = ids.get(last);
      ids.set(row, moved);
      rowOf.put(moved, row);
      if (lastPending != null) {
        pending.put(row, lastPending);
      } else {
        buffer.putRow(row, buffer.getRow(last));
        penalties[row] = penalties[last];
      }
    }
    ids.remove(last);
  }

  /** Top-k (id, score) per query row; queries are raw L2-normalised embeddings of the other modality. */
  public List<List<Map.Entry<String, Float>>> search(INDArray queries, int k) {
    refresh();
    ensureProjected();
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
        row[j] -= penalties[j];
      }
      List<Map.Entry<String, Float>> hits = new ArrayList<>();
      for (int j : TopK.indices(row, k)) {
        hits.add(Map.entry(ids.get(j), row[j]));
      }
      out.add(hits);
    }
    return out;
  }

  /** Projects the pending rows (only those), into a buffer that doubles when full; their penalties likewise. */
  private void ensureProjected() {
    if (pending.isEmpty()) {
      return;
    }
    int[] rows = pending.keySet().stream().mapToInt(Integer::intValue).toArray();
    INDArray raw = Nd4j.create(pending.values().toArray(float[][]::new)).castTo(DataType.FLOAT);
    INDArray z = images ? map.projectImages(raw) : map.projectText(raw);
    float[] p = map.hubness().penalties(z, references);
    int k = (int) z.columns();
    if (buffer == null || buffer.rows() < ids.size()) {
      int capacity = Math.max(1024, Integer.highestOneBit(Math.max(1, ids.size())) * 2);
      INDArray grown = Nd4j.zeros(DataType.FLOAT, capacity, k);
      if (buffer != null) {
        grown.get(NDArrayIndex.interval(0, buffer.rows()), NDArrayIndex.all()).assign(buffer);
      }
      buffer = grown;
      penalties = java.util.Arrays.copyOf(penalties, capacity);
    }
    for (int i = 0; i < rows.length; i++) {
      buffer.putRow(rows[i], z.getRow(i));
      penalties[rows[i]] = p[i];
    }
    pending.clear();
  }
}
