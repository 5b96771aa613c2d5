package io.xmodal.mapping;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Recall@K both ways on a held-out set of images and their captions. Text→image: each caption queries the gallery
 * of images, a hit if its own image ranks in the top K. Image→text: each image queries all captions, a hit if any of
 * its captions ranks in the top K. Scores are cosines in the map's space minus the map's hubness penalties, which
 * come from reference queries (mapped training items), never from the set being evaluated.
 */
public final class Recall {

  private Recall() {}

  /** Recall in percent. */
  public record Result(double t2iR1, double t2iR5, double t2iR10, double i2tR1, double i2tR5, double i2tR10) {
    public double rsum() {
      return t2iR1 + t2iR5 + t2iR10 + i2tR1 + i2tR5 + i2tR10;
    }

    public Map<String, Double> asMap() {
      Map<String, Double> m = new LinkedHashMap<>();
      m.put("t2i.r1", t2iR1);
      m.put("t2i.r5", t2iR5);
      m.put("t2i.r10", t2iR10);
      m.put("i2t.r1", i2tR1);
      m.put("i2t.r5", i2tR5);
      m.put("i2t.r10", i2tR10);
      m.put("rsum", rsum());
      return m;
    }

    /** The inverse of {@link #asMap}: the six recalls read back from such a map, or null if one is missing. */
    public static Result fromMap(Map<String, Double> m) {
      Double[] v = {m.get("t2i.r1"), m.get("t2i.r5"), m.get("t2i.r10"), m.get("i2t.r1"), m.get("i2t.r5"),
          m.get("i2t.r10")};
      for (Double d : v) {
        if (d == null) {
          return null;
        }
      }
      return new Result(v[0], v[1], v[2], v[3], v[4], v[5]);
    }
  }

  /**
   * The references are mapped and rounded to {@link Int8Rows} as a MappingModel carries them, so a version is chosen
   * by the recall query-stream serves.
   *
   * @param captions      caption embeddings (nc×dx)
   * @param captionImage  for each caption, the index of its image in {@code images}
   * @param images        image embeddings (ni×dy)
   * @param referenceText training captions, the reference queries for text→image hubness penalties (may be null)
   * @param referenceImages training images, the reference queries for image→text penalties (may be null)
   */
  public static Result evaluate(CrossModalMap map, INDArray captions, int[] captionImage, INDArray images,
                                INDArray referenceText, INDArray referenceImages) {
    return evaluateEach(map, List.of(map.hubness()), captions, captionImage, images, referenceText, referenceImages)
        .get(0);
  }

  /**
   * As {@link #evaluate}, for {@code map} under each of {@code corrections} (its own is ignored), in that order: the
   * projections and similarities are computed once for all of them.
   */
  public static List<Result> evaluateEach(CrossModalMap map, List<HubnessCorrection> corrections, INDArray captions,
                                          int[] captionImage, INDArray images, INDArray referenceText,
                                          INDArray referenceImages) {
    boolean penalised = corrections.stream().anyMatch(h -> h.kind() != HubnessCorrection.Kind.NONE);
    return evaluateMapped(map, corrections, captions, captionImage, images,
        referenceText == null || !penalised ? null : Int8Rows.roundTrip(map.projectText(referenceText)),
        referenceImages == null || !penalised ? null : Int8Rows.roundTrip(map.projectImages(referenceImages)));
  }

  /** As {@link #evaluate}, with the reference queries already mapped by {@code map} (as a MappingModel keeps them). */
  public static Result evaluateMapped(CrossModalMap map, INDArray captions, int[] captionImage, INDArray images,
                                      INDArray mappedReferenceText, INDArray mappedReferenceImages) {
    return evaluateMapped(map, List.of(map.hubness()), captions, captionImage, images, mappedReferenceText,
        mappedReferenceImages).get(0);
  }

  private static List<Result> evaluateMapped(CrossModalMap map, List<HubnessCorrection> corrections,
                                             INDArray captions, int[] captionImage, INDArray images,
                                             INDArray mappedReferenceText, INDArray mappedReferenceImages) {
    INDArray zt = map.projectText(captions);
    INDArray zi = map.projectImages(images);
    List<Result> out = evaluateProjected(zt, zi, captionImage, corrections, mappedReferenceText,
        mappedReferenceImages);
    Linalg.release(zt == captions ? null : zt, zi == images ? null : zi);
    return out;
  }

  /**
   * Recall under each of {@code corrections} of captions and images already in a map's comparison space (unit
   * length), with the references mapped (and rounded) as a version carries them: the step the model search shares
   * between the cuts of one CCA solution.
   */
  public static List<Result> evaluateProjected(INDArray zt, INDArray zi, int[] captionImage,
                                               List<HubnessCorrection> corrections, INDArray mappedReferenceText,
                                               INDArray mappedReferenceImages) {
    INDArray product = zt.mmul(zi.transpose());
    float[][] sims = product.toFloatMatrix();
    Linalg.release(product);
    float[][] imagePenalty = HubnessCorrection.penalties(corrections, zi, mappedReferenceText);
    float[][] captionPenalty = HubnessCorrection.penalties(corrections, zt, mappedReferenceImages);
    List<Result> out = new ArrayList<>();
    for (int c = 0; c < corrections.size(); c++) {
      out.add(fromScores(sims, captionImage, imagePenalty[c], captionPenalty[c]));
    }
    return out;
  }

  /** Recall from a caption×image similarity matrix and per-item penalties (zeros for none). */
  public static Result fromScores(float[][] sims, int[] captionImage, float[] imagePenalty, float[] captionPenalty) {
    int nc = sims.length;
    int ni = nc == 0 ? 0 : sims[0].length;
    int[] t2iRank = new int[nc];
    IntStream.range(0, nc).parallel().forEach(c -> {
      float[] row = sims[c];
      int target = captionImage[c];
      float s = row[target] - imagePenalty[target];
      if (!Float.isFinite(s)) {
        t2iRank[c] = Integer.MAX_VALUE; // a broken map (NaN or infinite scores) finds nothing, it never wins a comparison
        return;
      }
      int better = 0;
      for (int j = 0; j < ni; j++) {
        if (row[j] - imagePenalty[j] > s) {
          better++;
        }
      }
      t2iRank[c] = better;
    });
    Map<Integer, List<Integer>> captionsOf = new HashMap<>();
    for (int c = 0; c < nc; c++) {
      captionsOf.computeIfAbsent(captionImage[c], k -> new ArrayList<>()).add(c);
    }
    int[] i2tRank = new int[ni];
    int imagesWithCaptions = 0;
    for (int i = 0; i < ni; i++) {
      List<Integer> own = captionsOf.get(i);
      if (own == null) {
        i2tRank[i] = Integer.MAX_VALUE;
        continue;
      }
      imagesWithCaptions++;
      float best = Float.NEGATIVE_INFINITY;
      for (int c : own) {
        best = Math.max(best, sims[c][i] - captionPenalty[c]);
      }
      if (!Float.isFinite(best)) {
        i2tRank[i] = Integer.MAX_VALUE;
        continue;
      }
      int better = 0;
      for (int c = 0; c < nc; c++) {
        if (sims[c][i] - captionPenalty[c] > best) {
          better++;
        }
      }
      i2tRank[i] = better;
    }
    return new Result(pct(t2iRank, 1, nc), pct(t2iRank, 5, nc), pct(t2iRank, 10, nc),
        pct(i2tRank, 1, imagesWithCaptions), pct(i2tRank, 5, imagesWithCaptions), pct(i2tRank, 10, imagesWithCaptions));
  }

  private static double pct(int[] ranks, int k, int denominator) {
    if (denominator == 0) {
      return 0;
    }
    int hits = 0;
    for (int r : ranks) {
      if (r < k) {
        hits++;
      }
    }
    return 100.0 * hits / denominator;
  }
}
