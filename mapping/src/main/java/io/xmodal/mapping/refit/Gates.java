package io.xmodal.mapping.refit;

import io.xmodal.mapping.ModelSearch;
import io.xmodal.mapping.Recall;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * What a refit may publish. The size gate: the best candidate (by held-out rsum) whose event fits a record; better
 * ones that do not fit are reported and passed over. The quality gate: it replaces the live map only if its held-out
 * rsum is not worse than the live map's on the same pairs (for a live map fitted on all pairs: its recipe refitted on
 * the training pairs, or for a learned one its comparable recorded score or this refit's candidate of its family; see
 * {@link Refit.Live}).
 */
public final class Gates {

  private Gates() {}

  /** A candidate passed over for its size. */
  public record Oversized(ModelSearch.Candidate candidate, int bytes) {}

  /**
   * @param chosen   the best candidate that fits, or null when none does
   * @param bytes    its encoded size
   * @param promote  whether it passes the quality gate
   */
  public record Selection(ModelSearch.Candidate chosen, int bytes, List<Oversized> tooLarge, boolean promote) {}

  /**
   * The quality gate: a candidate that finds anything at all (a finite, positive held-out rsum — a broken map scores
   * 0, since a non-finite score is a miss) and is not worse than the live map.
   */
  public static boolean passesQuality(Recall.Result candidate, Recall.Result live) {
    double rsum = candidate.rsum();
    return Double.isFinite(rsum) && rsum > 0 && (live == null || rsum >= live.rsum());
  }

  /**
   * @param size     the encoded size of a candidate's event (computed best first, and only until one fits)
   * @param maxBytes the most a mapping event may take
   */
  public static Selection select(List<ModelSearch.Candidate> candidates, ToIntFunction<ModelSearch.Candidate> size,
                                 int maxBytes, Recall.Result live) {
    List<ModelSearch.Candidate> ranked = new ArrayList<>(candidates);
    ranked.sort(Comparator.comparingDouble((ModelSearch.Candidate c) -> c.validation().rsum()).reversed());
    List<Oversized> tooLarge = new ArrayList<>();
    for (ModelSearch.Candidate c : ranked) {
      int bytes = size.applyAsInt(c);
      if (bytes <= maxBytes) {
        return new Selection(c, bytes, tooLarge, passesQuality(c.validation(), live));
      }
      tooLarge.add(new Oversized(c, bytes));
    }
    return new Selection(null, 0, tooLarge, false);
  }
}
