package io.xmodal.mapping.refit;

import io.xmodal.mapping.CrossModalMap;
import io.xmodal.mapping.EvalSet;
import io.xmodal.mapping.HubnessCorrection;
import io.xmodal.mapping.ModelSearch;
import io.xmodal.mapping.Recall;
import io.xmodal.mapping.SufficientStats;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One refit, as the trainer runs it in the background and {@code xmodal eval} runs it offline: every closed-form
 * candidate fitted from the statistics and scored on the held-out pairs (the best of each family kept), the learned
 * maps trained from the best of them, and the live map scored on the same pairs so the gate compares like with like.
 */
public final class Refit {

  private Refit() {}

  /** Trains learned candidates from the closed-form ones (implemented by the learned module; none when off). */
  public interface LearnedStep {
    List<LearnedOutcome> train(float[][] x, float[][] y, List<ModelSearch.Candidate> closed, EvalSet validation,
                               INDArray referenceText, INDArray referenceImages, List<HubnessCorrection> hubness,
                               Consumer<String> log);

    /**
     * The learned candidate {@code chosen} (one this step trained) trained again on every pair, the held-out ones
     * included: from its start's recipe fitted on {@code all}, for the epochs chosen on the held-out pairs. Null when
     * this step did not train {@code chosen} or cannot train it again.
     */
    default CrossModalMap onAllPairs(ModelSearch.Candidate chosen, SufficientStats all, float[][] x, float[][] y,
                                     Consumer<String> log) {
      return null;
    }

    LearnedStep NONE = (x, y, closed, v, rt, ri, h, log) -> List.of();
  }

  /**
   * One learned kind's outcome: its best candidates (empty when it failed), the error if it failed, a summary line,
   * and its figures for metrics (epochs, best_epoch, seconds, seconds_per_epoch, gain).
   */
  public record LearnedOutcome(String kind, List<ModelSearch.Candidate> candidates, String error, String summary,
                               Map<String, Double> figures) {}

  /**
   * @param candidates     every family's best, closed forms first, then the learned ones
   * @param liveRecall     the live map on the same held-out pairs, or null when there is none comparable (for a live
   *                       map fitted on all pairs: its recipe fitted again on the training pairs alone, see {@link
   *                       Live})
   * @param pairsUsed      training pairs in the statistics
   * @param heldOutImages  images scored on
   * @param heldOutCaptions captions scored with
   * @param allPairs       the best candidate (by held-out rsum) fitted again on every pair, the held-out ones
   *                       included, when the refit asked for it and it could be (see {@link AllPairs}); otherwise null
   */
  public record Result(List<ModelSearch.Candidate> candidates, Recall.Result liveRecall, long pairsUsed,
                       int heldOutImages, int heldOutCaptions, INDArray referenceText, INDArray referenceImages,
                       double seconds, List<LearnedOutcome> learned, AllPairs allPairs, Timing timing) {

    /** What {@code c} is served as: its all-pairs refit when it has one, else its own map. */
    public CrossModalMap served(ModelSearch.Candidate c) {
      return allPairs != null && allPairs.of() == c ? allPairs.map() : c.map();
    }

    /** How many pairs {@code c}'s served map was fitted on. */
    public long pairsUsed(ModelSearch.Candidate c) {
      return allPairs != null && allPairs.of() == c ? allPairs.pairs() : pairsUsed;
    }
  }

  /**
   * Where a refit's time went: the closed-form search (with the count of candidates it scored), the learned maps,
   * and the best candidate's refit on every pair (0 when there was none).
   */
  public record Timing(int scored, double searchSeconds, double learnedSeconds, double allPairsSeconds) {}

  /**
   * A candidate's recipe (method, hyperparameters, hubness correction, all chosen on the held-out pairs) fitted again
   * on every pair, the held-out ones included: the map that is served. Its held-out score is its twin's ({@code
   * of}, fitted on the training pairs alone), since a map cannot be scored on pairs it was fitted on.
   */
  public record AllPairs(ModelSearch.Candidate of, CrossModalMap map, long pairs, double seconds) {}

  /**
   * The live map, and whether it was fitted on all pairs (then the gate scores its recipe fitted on the current
   * training pairs alone, the same way a candidate is scored, instead of a map that has seen the held-out pairs).
   * A learned map has no recipe that refits in a moment. When one was fitted on all pairs the gate takes {@code
   * recorded}, the held-out recall its training-only twin scored when it was published, if it was scored on as many
   * held-out images and captions as there are now (recall falls as the searched set grows, so a score taken on
   * another set is not comparable); otherwise the recall of this refit's own candidate of the same family (the same
   * kind of map trained the same way on the current training pairs, as a closed form's recipe is refitted).
   */
  public record Live(CrossModalMap map, boolean fittedOnAllPairs, Recorded recorded) {

    public Live(CrossModalMap map, boolean fittedOnAllPairs) {
      this(map, fittedOnAllPairs, null);
    }
  }

  /** A version's recorded held-out recall and the held-out set it was scored on. */
  public record Recorded(Recall.Result recall, long images, long captions) {}

  /**
   * @param live the live map made with the same encoders (null if none): scored on the same pairs
   * @param log  one line per candidate and per learned epoch
   */
  public static Result run(RefitInput in, ModelSearch.Options options, LearnedStep learned, CrossModalMap live,
                           Consumer<String> log) {
    return run(in, options, learned, live == null ? null : new Live(live, false), false, log);
  }

  /**
   * @param live     the live map made with the same encoders (null if none)
   * @param allPairs whether the best candidate is also fitted on every pair ({@link AllPairs})
   * @param log      one line per candidate and per learned epoch
   */
  public static Result run(RefitInput in, ModelSearch.Options options, LearnedStep learned, Live live,
                           boolean allPairs, Consumer<String> log) {
    long t0 = System.nanoTime();
    EvalSet v = in.validation();
    ModelSearch.Found found = ModelSearch.search(in.stats(), v, in.referenceText(), in.referenceImages(), options,
        line -> log.accept("candidate " + line));
    List<ModelSearch.Candidate> candidates = new ArrayList<>(found.best());
    double search = seconds(t0);
    float[][][] rows = in.learnedRows();
    List<LearnedOutcome> outcomes = rows == null || rows[0].length == 0 ? List.of()
        : learned.train(rows[0], rows[1], candidates, v, in.referenceText(), in.referenceImages(),
            options.hubness(), log);
    for (LearnedOutcome o : outcomes) {
      candidates.addAll(o.candidates());
    }
    double learnedSeconds = seconds(t0) - search;
    Recall.Result liveRecall = live == null ? null : liveRecall(live, in, candidates, log);
    AllPairs all = allPairs ? allPairs(in, candidates, learned, log) : null;
    return new Result(candidates, liveRecall, in.stats().count(), v.imageCount(), v.captionCount(),
        in.referenceText(), in.referenceImages(), seconds(t0), outcomes, all,
        new Timing(found.scored(), search, learnedSeconds, all == null ? 0 : all.seconds()));
  }

  private static Recall.Result liveRecall(Live live, RefitInput in, List<ModelSearch.Candidate> candidates,
                                          Consumer<String> log) {
    EvalSet v = in.validation();
    CrossModalMap scored = live.map();
    if (live.fittedOnAllPairs()) {
      var recipe = ModelSearch.recipe(live.map().method(), live.map().variant());
      if (recipe.isPresent()) {
        scored = recipe.get().apply(in.stats()).withHubness(live.map().hubness());
      } else {
        Recall.Result learned = learnedLiveRecall(live, v, candidates, log);
        if (learned != null) {
          return learned;
        }
        // scoring the map itself on pairs it has seen only makes it harder to replace, never easier
        log.accept("the live map " + live.map().label() + " was fitted on all pairs but neither its recipe, a "
            + "comparable recorded score nor a candidate of its family is known; scoring it as it is");
      }
    }
    return Recall.evaluate(scored, v.captions(), v.captionImage(), v.images(), in.referenceText(),
        in.referenceImages());
  }

  /**
   * A live map without a recipe (a learned one) fitted on all pairs: its recorded twin score if taken on a held-out
   * set of this size, else this refit's candidate of its family; null when there is neither.
   */
  private static Recall.Result learnedLiveRecall(Live live, EvalSet v, List<ModelSearch.Candidate> candidates,
                                                 Consumer<String> log) {
    Recorded r = live.recorded();
    if (r != null && r.images() == v.imageCount() && r.captions() == v.captionCount()) {
      log.accept(String.format("the live map %s has no recipe to refit and was fitted on all pairs; the gate takes "
          + "the held-out rsum %.1f its training-only twin scored on the same %d held-out images", live.map().label(),
          r.recall().rsum(), v.imageCount()));
      return r.recall();
    }
    String family = ModelSearch.Candidate.familyOf(live.map());
    return candidates.stream().filter(c -> c.recipe() == null && c.family().equals(family)).findFirst()
        .map(same -> {
          log.accept(String.format("the live map %s has no recipe to refit and was fitted on all pairs, its recorded "
              + "score on another held-out set; the gate takes this refit's %s trained the same way on the current "
              + "training pairs: held-out rsum %.1f", live.map().label(), family, same.validation().rsum()));
          return same.validation();
        }).orElse(null);
  }

  /**
   * The best candidate by held-out rsum fitted on every pair: a closed form by its recipe, a learned map by its step
   * ({@link LearnedStep#onAllPairs}) on the learned rows plus the held-out pairs.
   */
  private static AllPairs allPairs(RefitInput in, List<ModelSearch.Candidate> candidates, LearnedStep learned,
                                   Consumer<String> log) {
    ModelSearch.Candidate best = candidates.stream()
        .max(Comparator.comparingDouble((ModelSearch.Candidate c) -> c.validation().rsum())).orElse(null);
    if (best == null || in.validation().captionCount() == 0
        || (best.recipe() == null && (in.learnedRows() == null || in.learnedRows()[0].length == 0))) {
      return null;
    }
    long t0 = System.nanoTime();
    EvalSet v = in.validation();
    SufficientStats all = in.stats().copy();
    float[][] x = v.captions().toFloatMatrix();
    float[][] images = v.images().toFloatMatrix();
    float[][] y = new float[x.length][];
    for (int i = 0; i < x.length; i++) {
      y[i] = images[v.captionImage()[i]];
    }
    all.add(x, y);
    CrossModalMap map;
    try {
      if (best.recipe() != null) {
        map = best.refit(all);
      } else {
        float[][][] rows = in.learnedRows();
        map = learned.onAllPairs(best, all, concat(rows[0], x), concat(rows[1], y), log);
      }
    } finally {
      all.release();
    }
    if (map == null) {
      return null;
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    log.accept(String.format("%s fitted again on all %d pairs (%d held out) in %.1f s", map.label(), all.count(),
        x.length, seconds));
    return new AllPairs(best, map, all.count(), seconds);
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  private static float[][] concat(float[][] a, float[][] b) {
    float[][] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
