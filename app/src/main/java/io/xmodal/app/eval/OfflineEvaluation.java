package io.xmodal.app.eval;

import io.xmodal.app.dataset.Dataset;
import io.xmodal.encoders.Encoders;
import io.xmodal.encoders.image.ImageDecoder;
import io.xmodal.learned.LearnedOptions;
import io.xmodal.learned.LearnedSearch;
import io.xmodal.mapping.EvalSet;
import io.xmodal.mapping.HeldOut;
import io.xmodal.mapping.Linalg;
import io.xmodal.mapping.LinearMap;
import io.xmodal.mapping.CrossModalMap;
import io.xmodal.mapping.ModelSearch;
import io.xmodal.mapping.Recall;
import io.xmodal.mapping.SufficientStats;
import io.xmodal.mapping.Vectors;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The trainer's maths run offline: fit on one split, evaluate on another, exactly as the trainer would on the same
 * pairs — fitted on the fit split minus its held-out tenth (the trainer's rule), hyperparameters chosen on that tenth,
 * never on the evaluated split, and the same hubness reference queries — so a mapping the trainer publishes from the
 * same data scores the same here.
 */
public final class OfflineEvaluation {

  /** One row of the result table. */
  public record Row(String method, Recall.Result recall, double fitSeconds, double validationRsum,
                    CrossModalMap map) {}

  /** Embedded data of one split: image and caption vectors, caption → image index. */
  public record Embedded(List<String> imageIds, float[][] images, List<String> captionIds, float[][] captions,
                         int[] captionImage) {}

  private final PrintStream out;

  public OfflineEvaluation(PrintStream out) {
    this.out = out;
  }

  public static Embedded embed(String label, Dataset data, Encoders encoders, EmbeddingCache cache) {
    List<String> imageIds = data.images().stream().map(Dataset.Image::imageId).toList();
    float[][] images = cache.embed(label + " images", encoders.image().info(), imageIds, data.images(),
        image -> ImageDecoder.decodeRgb(read(image.file())), () -> encoders.image().newSession());
    List<String> captionIds = data.captions().stream().map(Dataset.Caption::captionId).toList();
    float[][] captions = cache.embed(label + " captions", encoders.text().info(), captionIds, data.captions(),
        Dataset.Caption::text, () -> encoders.text().newSession());
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < imageIds.size(); i++) {
      index.put(imageIds.get(i), i);
    }
    int[] captionImage = data.captions().stream().mapToInt(c -> index.get(c.imageId())).toArray();
    return new Embedded(imageIds, Vectors.l2Rows(images), captionIds, Vectors.l2Rows(captions), captionImage);
  }

  public List<Row> run(Embedded fit, Embedded eval, int heldOutPercent, ModelSearch.Options options) {
    return run(fit, eval, heldOutPercent, options, List.of());
  }

  /** As above, plus learned maps of the given kinds, started from the best weighted-CCA candidate. */
  public List<Row> run(Embedded fit, Embedded eval, int heldOutPercent, ModelSearch.Options options,
                       List<LearnedOptions> learned) {
    // the trainer's split of the fit data: a held-out tenth chooses hyperparameters, the rest is fitted
    List<Integer> trainImages = new ArrayList<>();
    List<Integer> validationImages = new ArrayList<>();
    for (int i = 0; i < fit.imageIds().size(); i++) {
      (HeldOut.isHeldOut(fit.imageIds().get(i), heldOutPercent) ? validationImages : trainImages).add(i);
    }
    float[][][] pairs = trainingPairs(fit, trainImages);
    SufficientStats stats = stats(pairs);
    EvalSet validation = subset(fit, validationImages);
    INDArray refText = referenceCaptions(fit, trainImages);
    INDArray refImages = referenceImages(fit, trainImages);
    out.printf("fitting on %d pairs (%d images), choosing hyperparameters on %d held-out images (%d captions), as "
            + "the trainer does; hubness references: %d captions, %d images%n", stats.count(), trainImages.size(),
        validationImages.size(), validation.captionCount(), refText.rows(), refImages.rows());
    List<ModelSearch.Candidate> chosen = new ArrayList<>(ModelSearch.bestPerFamily(stats, validation, refText,
        refImages, options, line -> { }));
    if (!learned.isEmpty()) {
      if (LearnedSearch.start(chosen).isEmpty()) {
        out.println("no weighted CCA candidate to start the learned maps from; skipping them");
      }
      for (LearnedSearch.Trained t : LearnedSearch.train(pairs[0], pairs[1], chosen, validation, refText, refImages,
          options.hubness(), learned, out::println)) {
        out.println(t.summary());
        chosen.addAll(t.candidates());
      }
    }
    EvalSet test = subset(eval, allIndices(eval.imageIds().size()));
    out.printf("evaluating %d families on %d images and %d captions%n", chosen.size(), test.imageCount(),
        test.captionCount());
    List<Row> rows = new ArrayList<>();
    for (ModelSearch.Candidate c : chosen) {
      Recall.Result r = Recall.evaluate(c.map(), test.captions(), test.captionImage(), test.images(), refText,
          refImages);
      rows.add(new Row(c.map().label(), r, c.fitSeconds(), c.validation().rsum(), c.map()));
    }
    return rows;
  }

  private static float[][][] trainingPairs(Embedded e, List<Integer> images) {
    java.util.Set<Integer> keep = new java.util.HashSet<>(images);
    List<float[]> xs = new ArrayList<>();
    List<float[]> ys = new ArrayList<>();
    for (int c = 0; c < e.captions().length; c++) {
      if (keep.contains(e.captionImage()[c])) {
        xs.add(e.captions()[c]);
        ys.add(e.images()[e.captionImage()[c]]);
      }
    }
    return new float[][][] {xs.toArray(float[][]::new), ys.toArray(float[][]::new)};
  }

  private static SufficientStats stats(float[][][] pairs) {
    SufficientStats s = new SufficientStats(pairs[0][0].length, pairs[1][0].length);
    for (int i = 0; i < pairs[0].length; i += 4096) {
      int end = Math.min(pairs[0].length, i + 4096);
      s.add(java.util.Arrays.copyOfRange(pairs[0], i, end), java.util.Arrays.copyOfRange(pairs[1], i, end));
    }
    return s;
  }

  private static EvalSet subset(Embedded e, List<Integer> images) {
    Map<Integer, Integer> newIndex = new HashMap<>();
    for (int i = 0; i < images.size(); i++) {
      newIndex.put(images.get(i), i);
    }
    List<float[]> caps = new ArrayList<>();
    List<Integer> capImage = new ArrayList<>();
    for (int c = 0; c < e.captions().length; c++) {
      Integer ni = newIndex.get(e.captionImage()[c]);
      if (ni != null) {
        caps.add(e.captions()[c]);
        capImage.add(ni);
      }
    }
    return new EvalSet(Linalg.matrix(caps.toArray(float[][]::new)), capImage.stream().mapToInt(Integer::intValue)
        .toArray(), Linalg.matrix(pick(e.images(), images)));
  }

  /** Reference captions for hubness penalties: the training captions the shared rule picks (as the trainer does). */
  private static INDArray referenceCaptions(Embedded e, List<Integer> images) {
    java.util.Set<Integer> keep = new java.util.HashSet<>(images);
    Map<String, float[]> refs = new HashMap<>();
    for (int c = 0; c < e.captions().length; c++) {
      if (keep.contains(e.captionImage()[c]) && HeldOut.isReferenceCaption(e.captionIds().get(c))) {
        refs.put(e.captionIds().get(c), e.captions()[c]);
      }
    }
    return references(refs, HeldOut.MAX_REFERENCE_CAPTIONS);
  }

  private static INDArray referenceImages(Embedded e, List<Integer> images) {
    Map<String, float[]> refs = new HashMap<>();
    for (int i : images) {
      if (HeldOut.isReferenceImage(e.imageIds().get(i))) {
        refs.put(e.imageIds().get(i), e.images()[i]);
      }
    }
    return references(refs, HeldOut.MAX_REFERENCE_IMAGES);
  }

  // the trainer's references: the same ids, capped the same way
  private static INDArray references(Map<String, float[]> refs, int max) {
    return Linalg.matrix(HeldOut.capReferences(refs, max).toArray(float[][]::new))
        .castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT);
  }

  private static float[][] pick(float[][] rows, List<Integer> idx) {
    float[][] out = new float[idx.size()][];
    for (int i = 0; i < idx.size(); i++) {
      out[i] = rows[idx.get(i)];
    }
    return out;
  }

  private static List<Integer> allIndices(int n) {
    List<Integer> all = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      all.add(i);
    }
    return all;
  }

  private static byte[] read(java.nio.file.Path p) {
    try {
      return Files.readAllBytes(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
