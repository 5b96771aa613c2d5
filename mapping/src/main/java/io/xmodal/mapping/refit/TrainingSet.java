package io.xmodal.mapping.refit;

import io.xmodal.mapping.EvalSet;
import io.xmodal.mapping.HeldOut;
import io.xmodal.mapping.Linalg;
import io.xmodal.mapping.ReferenceCaps;
import io.xmodal.mapping.SufficientStats;
import io.xmodal.mapping.Vectors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The pairs of one (text encoder, image encoder) combination, kept the way a refit needs them, for the trainer (pair
 * by pair, as they stream in and are replaced or deleted) and the offline evaluation (a split at once) alike:
 * <ul>
 *   <li>training pairs as sufficient statistics (L2-normalised rows, rank-k updates in blocks of
 *       {@value #FLUSH_EVERY}; a removed pair is subtracted), never the pairs themselves;</li>
 *   <li>the held-out pairs (an image held out by {@link HeldOut#isHeldOut} with all its captions) to score on;</li>
 *   <li>the hubness reference queries: the training captions and images, at most {@link ReferenceCaps} of them
 *       (4,096 / 1,024 by default) picked by id hash (and one and a half to twice that many kept between refits);</li>
 *   <li>for the learned maps, a bounded sample of the training vectors ({@link TrainingRows}).</li>
 * </ul>
 * Not thread-safe; {@link #snapshot} copies what a refit on another thread needs.
 */
public final class TrainingSet {

  /** Pairs are added to the statistics in blocks of this many (a rank-k update is cheaper than k rank-1 ones). */
  public static final int FLUSH_EVERY = 256;

  private final SufficientStats stats;
  private final List<TrainingPair> pending = new ArrayList<>();
  private final Map<String, TrainingPair> heldOut = new HashMap<>();
  private final TreeMap<String, float[]> refText = new TreeMap<>();
  private final TreeMap<String, float[]> refImages = new TreeMap<>();
  /** Training pairs per training image, so an image leaves the references with its last pair. */
  private final Map<String, Integer> refImagePairs = new HashMap<>();
  private final TrainingRows rows;
  private final ReferenceCaps caps;

  /**
   * @param learnedMaxPairs how many training pairs to keep as vectors for the learned maps; 0 keeps none (when the
   *                        learned maps are off)
   */
  public TrainingSet(int textDim, int imageDim, int learnedMaxPairs) {
    this(textDim, imageDim, learnedMaxPairs, ReferenceCaps.DEFAULT);
  }

  /** @param caps how many hubness references a refit gets at most */
  public TrainingSet(int textDim, int imageDim, int learnedMaxPairs, ReferenceCaps caps) {
    this.stats = new SufficientStats(textDim, imageDim);
    this.rows = learnedMaxPairs > 0 ? new TrainingRows(learnedMaxPairs) : null;
    this.caps = caps;
  }

  /** Adds a pair (a held-out one is kept to score on; a training one joins the statistics). */
  public void add(TrainingPair p) {
    if (p.heldOut()) {
      heldOut.put(p.captionId(), p);
      return;
    }
    pending.add(p);
    if (pending.size() >= FLUSH_EVERY) {
      flush();
    }
  }

  /** Removes a pair added before (replaced by a re-encoded one, or deleted). */
  public void remove(TrainingPair p) {
    if (p.heldOut()) {
      heldOut.remove(p.captionId());
      return;
    }
    flush();
    if (rows != null) {
      rows.remove(p.captionId());
    }
    refText.remove(p.captionId());
    if (refImagePairs.computeIfPresent(p.imageId(), (id, n) -> n > 1 ? n - 1 : null) == null) {
      refImages.remove(p.imageId());
    }
    stats.subtract(new float[][] {Vectors.l2(p.text())}, new float[][] {Vectors.l2(p.image())});
  }

  /** Adds the pending pairs to the statistics, the sample and the references. */
  public void flush() {
    if (pending.isEmpty()) {
      return;
    }
    float[][] x = new float[pending.size()][];
    float[][] y = new float[pending.size()][];
    // an image's captions share one row object, which the statistics add once, weighted (SufficientStats#add)
    Map<String, float[]> sourceOf = new HashMap<>();
    Map<String, float[]> rowOf = new HashMap<>();
    for (int i = 0; i < x.length; i++) {
      TrainingPair p = pending.get(i);
      x[i] = Vectors.l2(p.text());
      float[] source = sourceOf.putIfAbsent(p.imageId(), p.image());
      y[i] = source == null || Arrays.equals(source, p.image())
          ? rowOf.computeIfAbsent(p.imageId(), id -> Vectors.l2(p.image()))
          : Vectors.l2(p.image());
      if (rows != null) {
        rows.put(p.captionId(), p.imageId(), x[i], y[i]);
      }
      refText.put(p.captionId(), x[i]);
      refImages.put(p.imageId(), y[i]);
      refImagePairs.merge(p.imageId(), 1, Integer::sum);
    }
    // trimmed to one and a half caps, so up to half a cap of deleted references is made up by ids kept beyond it
    if (refText.size() > 2L * caps.captions()) {
      HeldOut.keepReferences(refText, (int) Math.min(Integer.MAX_VALUE, caps.captions() * 3L / 2));
    }
    if (refImages.size() > 2L * caps.images()) {
      HeldOut.keepReferences(refImages, (int) Math.min(Integer.MAX_VALUE, caps.images() * 3L / 2));
    }
    stats.add(x, y);
    pending.clear();
  }

  public long trainingPairs() {
    return stats.count() + pending.size();
  }

  public int heldOutPairs() {
    return heldOut.size();
  }

  public long heldOutImages() {
    return heldOut.values().stream().map(TrainingPair::imageId).distinct().count();
  }

  /** What a refit needs, copied, so it can run on another thread while pairs keep arriving. */
  public RefitInput snapshot() {
    flush();
    return new RefitInput(stats.copy(), validation(),
        references(refText, caps.captions()), references(refImages, caps.images()),
        rows == null ? null : rows.rows());
  }

  /** Held-out images with all their captions, L2-normalised like the statistics. */
  private EvalSet validation() {
    Map<String, Integer> imageIndex = new LinkedHashMap<>();
    List<float[]> images = new ArrayList<>();
    List<float[]> captions = new ArrayList<>();
    List<Integer> captionImage = new ArrayList<>();
    for (TrainingPair p : heldOut.values()) {
      Integer idx = imageIndex.get(p.imageId());
      if (idx == null) {
        idx = images.size();
        imageIndex.put(p.imageId(), idx);
        images.add(Vectors.l2(p.image()));
      }
      captions.add(Vectors.l2(p.text()));
      captionImage.add(idx);
    }
    return new EvalSet(Linalg.floatMatrix(captions.toArray(float[][]::new)),
        captionImage.stream().mapToInt(Integer::intValue).toArray(), Linalg.floatMatrix(images.toArray(float[][]::new)));
  }

  private static INDArray references(TreeMap<String, float[]> refs, int max) {
    return refs.isEmpty() ? null
        : Linalg.floatMatrix(HeldOut.capReferences(refs, max).toArray(float[][]::new));
  }
}
