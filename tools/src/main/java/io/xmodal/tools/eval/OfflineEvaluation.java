package io.xmodal.tools.eval;

import io.xmodal.client.dataset.Dataset;
import io.xmodal.encoders.CompositeEncoder;
import io.xmodal.encoders.Encoder;
import io.xmodal.encoders.Encoders;
import io.xmodal.encoders.image.ImageDecoder;
import io.xmodal.learned.LearnedOptions;
import io.xmodal.learned.LearnedSearch;
import io.xmodal.mapping.CrossModalMap;
import io.xmodal.mapping.EvalSet;
import io.xmodal.mapping.HeldOut;
import io.xmodal.mapping.Linalg;
import io.xmodal.mapping.ModelSearch;
import io.xmodal.mapping.Recall;
import io.xmodal.mapping.ReferenceCaps;
import io.xmodal.mapping.SufficientStats;
import io.xmodal.mapping.Vectors;
import io.xmodal.mapping.refit.Refit;
import io.xmodal.mapping.refit.RefitInput;
import io.xmodal.mapping.refit.TrainingPair;
import io.xmodal.mapping.refit.TrainingSet;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The trainer's maths run offline: fit on one split, evaluate on another, exactly as the trainer would on the same
 * pairs — fitted on the fit split minus its held-out tenth (the trainer's rule), hyperparameters chosen on that tenth,
 * never on the evaluated split, and the same hubness reference queries — so a mapping the trainer publishes from the
 * same data scores the same here.
 */
public final class OfflineEvaluation {

  /**
   * One row of the result table; {@code choice} marks the map the trainer would publish from the same data (the best
   * candidate on the held-out tenth, fitted again on every pair: a closed form refitted, a learned map trained again).
   */
  public record Row(String method, Recall.Result recall, double fitSeconds, double validationRsum,
                    CrossModalMap map, boolean choice) {

    public Row(String method, Recall.Result recall, double fitSeconds, double validationRsum, CrossModalMap map) {
      this(method, recall, fitSeconds, validationRsum, map, false);
    }
  }

  /** The trainer's choice among the rows, if there is one. */
  public static Optional<Row> choice(List<Row> rows) {
    return rows.stream().filter(Row::choice).findFirst();
  }

  /** Embedded data of one split: image and caption vectors, caption → image index. */
  public record Embedded(List<String> imageIds, float[][] images, List<String> captionIds, float[][] captions,
                         int[] captionImage) {}

  private final PrintStream out;
  private final ReferenceCaps references;

  public OfflineEvaluation(PrintStream out) {
    this(out, ReferenceCaps.DEFAULT);
  }

  /** @param references how many hubness references the refit gets at most (the trainer's reference settings) */
  public OfflineEvaluation(PrintStream out, ReferenceCaps references) {
    this.out = out;
    this.references = references;
  }

  public static Embedded embed(String label, Dataset data, Encoders encoders, EmbeddingCache cache) {
    List<String> imageIds = data.images().stream().map(Dataset.Image::imageId).toList();
    float[][] images = embed(label + " images", encoders.image(), imageIds, data.images(),
        image -> ImageDecoder.decodeRgb(read(image.file())), cache);
    List<String> captionIds = data.captions().stream().map(Dataset.Caption::captionId).toList();
    float[][] captions = embed(label + " captions", encoders.text(), captionIds, data.captions(),
        Dataset.Caption::text, cache);
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < imageIds.size(); i++) {
      index.put(imageIds.get(i), i);
    }
    int[] captionImage = data.captions().stream().mapToInt(c -> index.get(c.imageId())).toArray();
    return new Embedded(imageIds, Vectors.l2Rows(images), captionIds, Vectors.l2Rows(captions), captionImage);
  }

  /**
   * The vectors of {@code items} by {@code encoder}; a composite's blocks are cached one by one and joined here by
   * its rule (as its sessions join them), so another composition of the same models does not encode again.
   */
  private static <T, I> float[][] embed(String what, Encoder<I> encoder, List<String> ids, List<T> items,
                                        Function<T, I> prepare, EmbeddingCache cache) {
    if (encoder instanceof CompositeEncoder<I> composite && composite.blocks().size() > 1) {
      float[][][] blocks = new float[composite.blocks().size()][][];
      for (int b = 0; b < blocks.length; b++) {
        Encoder<I> block = composite.blocks().get(b);
        int one = b;
        blocks[b] = cache.embed(what + " (" + block.info().name() + ")", block.info(), ids, items, prepare,
            () -> composite.newSession(one));
      }
      return composite.combination().combine(blocks);
    }
    return cache.embed(what, encoder.info(), ids, items, prepare, encoder::newSession);
  }

  /**
   * A split's pairs in the trainer's own {@link TrainingSet} (held-out tenth by id hash, statistics, references, at
   * most {@code learnedRows} rows for the learned maps), as the trainer would hold them.
   */
  public static TrainingSet trainingSet(Embedded fit, int heldOutPercent, int learnedRows, ReferenceCaps references) {
    TrainingSet set = new TrainingSet(fit.captions()[0].length, fit.images()[0].length, learnedRows, references);
    for (int c = 0; c < fit.captions().length; c++) {
      int i = fit.captionImage()[c];
      String imageId = fit.imageIds().get(i);
      set.add(new TrainingPair(fit.captionIds().get(c), imageId, HeldOut.isHeldOut(imageId, heldOutPercent),
          fit.captions()[c], fit.images()[i]));
    }
    return set;
  }

  public List<Row> run(Embedded fit, Embedded eval, int heldOutPercent, ModelSearch.Options options) {
    return run(fit, eval, heldOutPercent, options, List.of());
  }

  /**
   * As above, plus learned maps of the given kinds, started from the best weighted-CCA candidate. The fit split goes
   * through the trainer's own {@link TrainingSet} and {@link Refit} (held-out tenth, statistics, hubness references,
   * the learned maps' rows), so nothing is prepared a second way; the learned maps keep every training pair here.
   */
  public List<Row> run(Embedded fit, Embedded eval, int heldOutPercent, ModelSearch.Options options,
                       List<LearnedOptions> learned) {
    return run(fit, eval, heldOutPercent, options, learned, false);
  }

  /**
   * As above; with {@code allPairs}, every closed-form family's chosen candidate is also refitted on all the fit
   * split's pairs (the held-out tenth added to the statistics) and scored, in rows marked {@code [all pairs]}.
   */
  public List<Row> run(Embedded fit, Embedded eval, int heldOutPercent, ModelSearch.Options options,
                       List<LearnedOptions> learned, boolean allPairs) {
    return run(fit, eval, heldOutPercent, options, learned, allPairs, LearnedSearch.Scope.GMLP_FIRST);
  }

  /** As above, the learned kinds trained as {@code scope} says (the trainer's GMLP first, or every kind). */
  public List<Row> run(Embedded fit, Embedded eval, int heldOutPercent, ModelSearch.Options options,
                       List<LearnedOptions> learned, boolean allPairs, LearnedSearch.Scope scope) {
    RefitInput input = trainingSet(fit, heldOutPercent, learned.isEmpty() ? 0 : Integer.MAX_VALUE, references)
        .snapshot();
    EvalSet validation = input.validation();
    out.printf("fitting on %d pairs (%d images), choosing hyperparameters on %d held-out images (%d captions), as "
            + "the trainer does; hubness references: %d captions, %d images%n", input.stats().count(),
        fit.imageIds().size() - validation.imageCount(), validation.imageCount(), validation.captionCount(),
        rows(input.referenceText()), rows(input.referenceImages()));
    Refit.Result refit = Refit.run(input, options, LearnedSearch.step(learned, scope), null, true, line -> {
      if (!line.startsWith("candidate ")) {
        out.println(line);
      }
    });
    refit.learned().forEach(o -> out.println(o.summary()));
    EvalSet test = all(eval);
    out.printf("evaluating %d families on %d images and %d captions%n", refit.candidates().size(),
        test.imageCount(), test.captionCount());
    List<Row> rows = new ArrayList<>();
    for (ModelSearch.Candidate c : refit.candidates()) {
      Recall.Result r = Recall.evaluate(c.map(), test.captions(), test.captionImage(), test.images(),
          input.referenceText(), input.referenceImages());
      rows.add(new Row(c.map().label(), r, c.fitSeconds(), c.validation().rsum(), c.map()));
    }
    // what the trainer would publish (XMODAL_TRAINER_ALL_PAIRS on): the best on the held-out tenth, refitted on all
    ModelSearch.Candidate best = refit.candidates().stream()
        .max(Comparator.comparingDouble((ModelSearch.Candidate c) -> c.validation().rsum())).orElseThrow();
    CrossModalMap served = refit.served(best);
    boolean onAll = served != best.map();
    rows.add(new Row(served.label() + (onAll ? " [trainer's choice, all pairs]" : " [trainer's choice]"),
        Recall.evaluate(served, test.captions(), test.captionImage(), test.images(), input.referenceText(),
            input.referenceImages()), onAll ? refit.allPairs().seconds() : best.fitSeconds(), best.validation().rsum(),
        served, true));
    if (allPairs) {
      // every closed form's chosen hyperparameters refitted on every pair, the held-out tenth included; a recipe
      // several families share (the same fit with another hubness correction) is fitted once
      SufficientStats all = input.stats().copy();
      List<float[]> hx = new ArrayList<>();
      List<float[]> hy = new ArrayList<>();
      for (int c = 0; c < fit.captions().length; c++) {
        String imageId = fit.imageIds().get(fit.captionImage()[c]);
        if (HeldOut.isHeldOut(imageId, heldOutPercent)) {
          hx.add(Vectors.l2(fit.captions()[c]));
          hy.add(Vectors.l2(fit.images()[fit.captionImage()[c]]));
        }
      }
      all.add(hx.toArray(float[][]::new), hy.toArray(float[][]::new));
      Map<String, CrossModalMap> fitted = new HashMap<>();
      Map<String, Double> fitSeconds = new HashMap<>();
      for (ModelSearch.Candidate c : refit.candidates()) {
        if (c.recipe() == null) {
          continue;
        }
        String recipe = c.map().method() + " " + c.map().variant().label();
        if (!fitted.containsKey(recipe)) {
          long t0 = System.nanoTime();
          fitted.put(recipe, c.refit(all));
          fitSeconds.put(recipe, (System.nanoTime() - t0) / 1e9);
        }
        CrossModalMap m = fitted.get(recipe).withHubness(c.map().hubness());
        Recall.Result r = Recall.evaluate(m, test.captions(), test.captionImage(), test.images(),
            input.referenceText(), input.referenceImages());
        rows.add(new Row(m.label() + " [all pairs]", r, fitSeconds.get(recipe), c.validation().rsum(), m));
      }
    }
    return rows;
  }

  private static long rows(INDArray m) {
    return m == null ? 0 : m.rows();
  }

  private static EvalSet all(Embedded e) {
    return new EvalSet(Linalg.floatMatrix(e.captions()), e.captionImage(), Linalg.floatMatrix(e.images()));
  }

  private static byte[] read(Path p) {
    try {
      return Files.readAllBytes(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
