package io.xmodal.mapping.refit;

import io.xmodal.mapping.HeldOut;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The training pairs' vectors the learned maps train on, bounded: at most {@code max} captions are kept, those whose
 * ids hash lowest (a deterministic sample that does not depend on arrival order), and an image's vector is kept while
 * one of its kept captions needs it. The closed forms need none of this (they keep sufficient statistics).
 */
public final class TrainingRows {

  private static final Comparator<String> BY_HASH =
      Comparator.comparingLong((String id) -> HeldOut.hash("train:" + id)).thenComparing(Comparator.naturalOrder());

  private final int max;
  private final TreeSet<String> kept = new TreeSet<>(BY_HASH);
  private final Map<String, float[]> text = new HashMap<>();
  private final Map<String, String> imageOf = new HashMap<>();
  private final Map<String, float[]> images = new HashMap<>();
  private final Map<String, Integer> imageUses = new HashMap<>();

  public TrainingRows(int max) {
    this.max = max;
  }

  /** A training pair (or a re-encoded one: its vectors replace the old ones). */
  public void put(String captionId, String imageId, float[] x, float[] y) {
    if (!text.containsKey(captionId)) {
      if (kept.size() >= max && BY_HASH.compare(captionId, kept.last()) > 0) {
        return; // outside the sample
      }
      kept.add(captionId);
      imageUses.merge(imageId, 1, Integer::sum);
      imageOf.put(captionId, imageId);
    }
    text.put(captionId, x);
    images.put(imageOf.get(captionId), y);
    if (kept.size() > max) {
      remove(kept.last());
    }
  }

  public void remove(String captionId) {
    if (text.remove(captionId) == null) {
      return;
    }
    kept.remove(captionId);
    String imageId = imageOf.remove(captionId);
    if (imageUses.merge(imageId, -1, Integer::sum) <= 0) {
      imageUses.remove(imageId);
      images.remove(imageId);
    }
  }

  public int size() {
    return kept.size();
  }

  public int images() {
    return images.size();
  }

  /** The kept pairs as rows {text, image}, in caption id order (fixed, whatever the arrival order). */
  public float[][][] rows() {
    float[][] x = new float[kept.size()][];
    float[][] y = new float[kept.size()][];
    int i = 0;
    List<String> ids = new ArrayList<>(kept);
    Collections.sort(ids);
    for (String id : ids) {
      x[i] = text.get(id);
      y[i] = images.get(imageOf.get(id));
      i++;
    }
    return new float[][][] {x, y};
  }
}
