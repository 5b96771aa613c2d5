package io.xmodal.mapping.refit;

import io.xmodal.mapping.CrossModalMap;
import io.xmodal.mapping.EvalSet;
import io.xmodal.mapping.HubnessCorrection;
import io.xmodal.mapping.ModelSearch;
import io.xmodal.mapping.Recall;
import java.util.ArrayList;
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
   * @param liveRecall     the live map on the same held-out pairs, or null when there is none comparable
   * @param pairsUsed      training pairs in the statistics
   * @param heldOutImages  images scored on
   */
  public record Result(List<ModelSearch.Candidate> candidates, Recall.Result liveRecall, long pairsUsed,
                       int heldOutImages, INDArray referenceText, INDArray referenceImages, double seconds,
                       List<LearnedOutcome> learned) {}

  /**
   * @param live the live map made with the same encoders (null if none): scored on the same pairs
   * @param log  one line per candidate and per learned epoch
   */
  public static Result run(RefitInput in, ModelSearch.Options options, LearnedStep learned, CrossModalMap live,
                           Consumer<String> log) {
    long t0 = System.nanoTime();
    EvalSet v = in.validation();
    List<ModelSearch.Candidate> candidates = new ArrayList<>(ModelSearch.bestPerFamily(in.stats(), v,
        in.referenceText(), in.referenceImages(), options, line -> log.accept("candidate " + line)));
    float[][][] rows = in.learnedRows();
    List<LearnedOutcome> outcomes = rows == null || rows[0].length == 0 ? List.of()
        : learned.train(rows[0], rows[1], candidates, v, in.referenceText(), in.referenceImages(),
            options.hubness(), log);
    for (LearnedOutcome o : outcomes) {
      candidates.addAll(o.candidates());
    }
    Recall.Result liveRecall = live == null ? null
        : Recall.evaluate(live, v.captions(), v.captionImage(), v.images(), in.referenceText(), in.referenceImages());
    return new Result(candidates, liveRecall, in.stats().count(), v.imageCount(), in.referenceText(),
        in.referenceImages(), (System.nanoTime() - t0) / 1e9, outcomes);
  }
}
