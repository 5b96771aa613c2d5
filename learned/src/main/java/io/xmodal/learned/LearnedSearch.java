package io.xmodal.learned;

import io.xmodal.mapping.EvalSet;
import io.xmodal.mapping.HubnessCorrection;
import io.xmodal.mapping.LinearMap;
import io.xmodal.mapping.ModelSearch;
import io.xmodal.mapping.refit.Refit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The learned candidates of a refit, as the trainer and {@code xmodal eval} both build them: each learned kind is
 * trained from the best weighted-CCA candidate of the closed-form search (with that candidate's hubness correction),
 * then scored with every hubness correction of the grid; the best of each family joins the candidates.
 */
public final class LearnedSearch {

  /** One learned kind's outcome: its training result and best candidates, or why it failed. */
  public record Trained(LearnedOptions options, LearnedTrainer.Result result, List<ModelSearch.Candidate> candidates,
                        String error) {
    public String summary() {
      if (error != null) {
        return String.format("%s: training failed, the closed forms stand: %s", options.kind(), error);
      }
      LearnedTrainer.Result r = result;
      return String.format("%s: %d epochs (best %d) in %.1f s, %.2f s/epoch on %s; held-out rsum %.1f → %.1f",
          options.kind(), r.epochs(), r.bestEpoch(), r.seconds(), r.secondsPerEpoch(), r.device(), r.start().rsum(),
          r.validation().rsum());
    }
  }

  private LearnedSearch() {}

  /** These learned kinds as a refit's learned step (the trainer's and {@code xmodal eval}'s). */
  public static Refit.LearnedStep step(List<LearnedOptions> kinds) {
    if (kinds.isEmpty()) {
      return Refit.LearnedStep.NONE;
    }
    return (x, y, closed, validation, refText, refImages, hubness, log) -> {
      if (start(closed).isEmpty()) {
        log.accept("no weighted CCA candidate to start the learned maps from; skipping them");
      }
      return train(x, y, closed, validation, refText, refImages, hubness, kinds, log).stream()
          .map(LearnedSearch::outcome).toList();
    };
  }

  static Refit.LearnedOutcome outcome(Trained t) {
    String kind = t.options().kind().name();
    if (t.error() != null) {
      return new Refit.LearnedOutcome(kind, List.of(), t.error(), t.summary(), Map.of());
    }
    LearnedTrainer.Result r = t.result();
    Map<String, Double> figures = new LinkedHashMap<>();
    figures.put("epochs", (double) r.epochs());
    figures.put("best_epoch", (double) r.bestEpoch());
    figures.put("seconds_per_epoch", r.secondsPerEpoch());
    figures.put("seconds", r.seconds());
    figures.put("gain", r.validation().rsum() - r.start().rsum());
    return new Refit.LearnedOutcome(kind, t.candidates(), null, t.summary(), figures);
  }

  /** The closed form learned maps start from: the weighted CCA candidate with the best held-out rsum. */
  public static Optional<ModelSearch.Candidate> start(List<ModelSearch.Candidate> closed) {
    return closed.stream()
        .filter(c -> c.map() instanceof LinearMap l && l.weights() != null)
        .max(Comparator.comparingDouble(c -> c.validation().rsum()));
  }

  /**
   * @param x text rows of the training pairs (L2-normalised), row by row with {@code y} (image rows)
   * @param epochs logs each epoch
   */
  public static List<Trained> train(float[][] x, float[][] y, List<ModelSearch.Candidate> closed, EvalSet validation,
                                    INDArray refText, INDArray refImages, List<HubnessCorrection> hubness,
                                    List<LearnedOptions> kinds, Consumer<String> epochs) {
    List<Trained> out = new ArrayList<>();
    ModelSearch.Candidate start = start(closed).orElse(null);
    if (start == null || x.length == 0) {
      return out;
    }
    for (LearnedOptions o : kinds) {
      try {
        LearnedTrainer.Result r = LearnedTrainer.train(x, y, (LinearMap) start.map(), validation, refText, refImages,
            start.map().hubness(), o, epochs);
        Map<String, ModelSearch.Candidate> best = new LinkedHashMap<>();
        for (ModelSearch.Candidate c : ModelSearch.Candidate.scoreLearned(r.map(), r.seconds(), validation, refText,
            refImages, hubness)) {
          best.merge(c.family(), c, (a, b) -> b.validation().rsum() > a.validation().rsum() ? b : a);
        }
        out.add(new Trained(o, r, new ArrayList<>(best.values()), null));
      } catch (RuntimeException | LinkageError e) {
        // a missing native library or a broken run must not stop the refit: the closed forms stand
        out.add(new Trained(o, null, List.of(), e.toString()));
      }
    }
    return out;
  }
}
