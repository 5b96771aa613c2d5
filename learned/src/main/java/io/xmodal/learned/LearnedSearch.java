package io.xmodal.learned;

import io.xmodal.mapping.CrossModalMap;
import io.xmodal.mapping.EvalSet;
import io.xmodal.mapping.GmlpMap;
import io.xmodal.mapping.HubnessCorrection;
import io.xmodal.mapping.LinearMap;
import io.xmodal.mapping.Method;
import io.xmodal.mapping.ModelSearch;
import io.xmodal.mapping.Recall;
import io.xmodal.mapping.SufficientStats;
import io.xmodal.mapping.Variant;
import io.xmodal.mapping.refit.Refit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The learned candidates of a refit, as the trainer and {@code xmodal eval} both build them: each learned kind is
 * trained from the best weighted-CCA candidate of the closed-form search (with that candidate's hubness correction),
 * then scored with every hubness correction of the grid; the best of each family joins the candidates. By default
 * GMLP is trained first and CONTRASTIVE only when GMLP does not beat the start ({@link Scope}).
 */
public final class LearnedSearch {

  /** Which of the learned kinds given a refit trains. */
  public enum Scope {
    /**
     * GMLP first; every other kind (CONTRASTIVE) only as a fallback, when no GMLP beat its start (its training failed,
     * or no epoch improved on the start). CONTRASTIVE lost to GMLP on the held-out pairs in every recorded run (rsum
     * 399.7 against 402.1, 417.9/422.8, 423.8/426.6, 424.0/428.5) at some 130 s a refit. The trainer's scope.
     */
    GMLP_FIRST,
    /** Every kind given, each trained: the full table ({@code xmodal eval} when every kind is wanted). */
    EVERY_KIND
  }

  /**
   * One learned kind's outcome: its training result and best candidates, or why it failed, or why it was not trained
   * ({@code notTrained}: its summary line; see {@link Scope}); {@code members} are the blocks (seed and epochs) its map
   * was trained as, none when it is the start itself.
   */
  public record Trained(LearnedOptions options, LearnedTrainer.Result result, List<ModelSearch.Candidate> candidates,
                        String error, List<Member> members, String notTrained) {
    public Trained(LearnedOptions options, LearnedTrainer.Result result, List<ModelSearch.Candidate> candidates,
                   String error, List<Member> members) {
      this(options, result, candidates, error, members, null);
    }
    public Trained(LearnedOptions options, LearnedTrainer.Result result, List<ModelSearch.Candidate> candidates,
                   String error) {
      this(options, result, candidates, error, List.of());
    }

    /** A kind left untrained, with the line that says why. */
    static Trained notTrained(LearnedOptions options, String why) {
      return new Trained(options, null, List.of(), null, List.of(), why);
    }

    /** Whether it was trained and beat its start. */
    boolean improved() {
      return error == null && result != null && result.improved();
    }

    public String summary() {
      if (notTrained != null) {
        return notTrained;
      }
      if (error != null) {
        return String.format("%s: training failed, the closed forms stand: %s", options.kind(), error);
      }
      LearnedTrainer.Result r = result;
      return String.format("%s: %d epochs (best %d) in %.1f s, %.2f s/epoch on %s; held-out rsum %.1f → %.1f",
          options.kind(), r.epochs(), r.bestEpoch(), r.seconds(), r.secondsPerEpoch(), r.device(), r.start().rsum(),
          r.validation().rsum());
    }
  }

  /**
   * One trained block of a learned map (a gMLP ensemble has several): the seed it was trained with and the epochs the
   * held-out pairs chose for it.
   */
  public record Member(long seed, int epochs) {}

  private LearnedSearch() {}

  /** These learned kinds as a refit's learned step, GMLP first ({@link Scope#GMLP_FIRST}: the trainer's). */
  public static Refit.LearnedStep step(List<LearnedOptions> kinds) {
    return step(kinds, Scope.GMLP_FIRST);
  }

  /** These learned kinds as a refit's learned step, trained as {@code scope} says. */
  public static Refit.LearnedStep step(List<LearnedOptions> kinds, Scope scope) {
    if (kinds.isEmpty()) {
      return Refit.LearnedStep.NONE;
    }
    return new Step(kinds, scope);
  }

  /**
   * One refit's learned step: trains the kinds its scope asks for, and remembers what each candidate was trained from
   * and for how many epochs so that the refit's choice can be trained again on every pair ({@link #onAllPairs}). Made
   * for one refit on one thread ({@link #step} gives a new one); {@link #train} forgets what an earlier call trained.
   */
  private static final class Step implements Refit.LearnedStep {
    private final List<LearnedOptions> kinds;
    private final Scope scope;
    private final Map<ModelSearch.Candidate, Trained> trainedBy = new IdentityHashMap<>();
    private ModelSearch.Candidate start;

    Step(List<LearnedOptions> kinds, Scope scope) {
      this.kinds = kinds;
      this.scope = scope;
    }

    @Override
    public List<Refit.LearnedOutcome> train(float[][] x, float[][] y, List<ModelSearch.Candidate> closed,
                                            EvalSet validation, INDArray refText, INDArray refImages,
                                            List<HubnessCorrection> hubness, Consumer<String> log) {
      trainedBy.clear();
      start = start(closed).orElse(null);
      if (start == null) {
        log.accept("no weighted CCA candidate to start the learned maps from; skipping them");
      }
      List<Trained> trained = LearnedSearch.train(x, y, closed, validation, refText, refImages, hubness, kinds, scope,
          log);
      for (Trained t : trained) {
        t.candidates().forEach(c -> trainedBy.put(c, t));
      }
      return trained.stream().map(LearnedSearch::outcome).toList();
    }

    /**
     * The chosen learned candidate's start (the weighted CCA recipe) fitted on every pair, then the same training
     * for its best epoch count on every row (an ensemble: each block with its own seed for its own epoch count).
     * Null when the held-out pairs chose the start itself (no epoch improved on it: no members), since then there is
     * nothing learned to train again.
     */
    @Override
    public CrossModalMap onAllPairs(ModelSearch.Candidate chosen, SufficientStats all, float[][] x, float[][] y,
                                    Consumer<String> log) {
      Trained t = trainedBy.get(chosen);
      if (t == null || start == null || start.recipe() == null || t.members().isEmpty()) {
        return null;
      }
      try {
        LinearMap from = (LinearMap) start.recipe().apply(all);
        // each block the map holds (one, or an ensemble's), with its own seed for its own epochs, all from one
        // prepared start (a frozen image side projected once for them all)
        LearnedTrainer.Start prepared = LearnedTrainer.Start.unscored(x, y, from, start.map().hubness());
        List<CrossModalMap> maps = new ArrayList<>();
        for (Member m : t.members()) {
          LearnedTrainer.Result r = LearnedTrainer.trainFixed(prepared, t.options().withSeed(m.seed()).withMembers(1),
              m.epochs(), log);
          if (r.bestEpoch() < m.epochs()) {
            log.accept(String.format("%s (seed %d) stopped after %d of %d epochs on every pair; serving the map "
                + "trained on the training pairs", t.options().kind(), m.seed(), r.bestEpoch(), m.epochs()));
            return null;
          }
          maps.add(r.map());
        }
        CrossModalMap map = maps.size() == 1 ? maps.get(0)
            : ensemble(maps.stream().map(GmlpMap.class::cast).toList());
        return map.withHubness(chosen.map().hubness());
      } catch (RuntimeException | LinkageError e) {
        // as in training: a failure here must not fail the refit; the twin trained on the training pairs is served
        log.accept(String.format("%s could not be trained again on every pair (%s); serving the map trained on the "
            + "training pairs", t.options().kind(), e));
        return null;
      }
    }
  }

  static Refit.LearnedOutcome outcome(Trained t) {
    String kind = t.options().kind().name();
    if (t.notTrained() != null) {
      return new Refit.LearnedOutcome(kind, List.of(), null, t.summary(), Map.of());
    }
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
    figures.put("members", r.map() instanceof GmlpMap g ? (double) g.blocks().size() : 1.0);
    return new Refit.LearnedOutcome(kind, t.candidates(), null, t.summary(), figures);
  }

  /** The closed form learned maps start from: the weighted CCA candidate with the best held-out rsum. */
  public static Optional<ModelSearch.Candidate> start(List<ModelSearch.Candidate> closed) {
    return closed.stream()
        .filter(c -> c.map() instanceof LinearMap l && l.weights() != null)
        .max(Comparator.comparingDouble(c -> c.validation().rsum()));
  }

  /**
   * @param x      text rows of the training pairs (L2-normalised), row by row with {@code y} (image rows)
   * @param kinds  the kinds to train, in the order of the result (one entry each, trained or not)
   * @param epochs logs each epoch
   */
  public static List<Trained> train(float[][] x, float[][] y, List<ModelSearch.Candidate> closed, EvalSet validation,
                                    INDArray refText, INDArray refImages, List<HubnessCorrection> hubness,
                                    List<LearnedOptions> kinds, Scope scope, Consumer<String> epochs) {
    ModelSearch.Candidate start = start(closed).orElse(null);
    if (start == null || x.length == 0) {
      return new ArrayList<>();
    }
    // one start for every kind: its held-out recall is the candidate's (scored on the same pairs and references,
    // with its own correction, which the epochs are scored with), and a frozen image side is projected once
    LearnedTrainer.Start prepared = LearnedTrainer.Start.scored(x, y, (LinearMap) start.map(), start.map().hubness(),
        validation, refText, refImages, start.validation());
    Trained[] trained = new Trained[kinds.size()];
    List<Integer> fallbacks = new ArrayList<>();
    for (int i = 0; i < kinds.size(); i++) {
      if (scope == Scope.GMLP_FIRST && kinds.get(i).kind() != Method.GMLP) {
        fallbacks.add(i);
      } else {
        trained[i] = train(prepared, validation, refText, refImages, hubness, kinds.get(i), epochs);
      }
    }
    List<Trained> gmlp = Arrays.stream(trained).filter(Objects::nonNull).toList();
    Trained beat = gmlp.stream().filter(Trained::improved)
        .max(Comparator.comparingDouble(t -> t.result().validation().rsum())).orElse(null);
    for (int i : fallbacks) {
      LearnedOptions o = kinds.get(i);
      if (beat != null) {
        trained[i] = Trained.notTrained(o, String.format("%s: not trained, %s beat the start (held-out rsum %.1f → "
                + "%.1f); it is trained only when %s fails or does not improve", o.kind(), Method.GMLP,
            beat.result().start().rsum(), beat.result().validation().rsum(), Method.GMLP));
        continue;
      }
      if (!gmlp.isEmpty()) {
        epochs.accept(String.format("%s: trained, since %s", o.kind(), gmlp.stream().map(LearnedSearch::whyNot)
            .collect(Collectors.joining("; "))));
      }
      trained[i] = train(prepared, validation, refText, refImages, hubness, o, epochs);
    }
    return new ArrayList<>(List.of(trained));
  }

  /** Why a trained kind does not stand in for the fallback: it failed, or did not beat its start. */
  private static String whyNot(Trained t) {
    return t.error() != null ? String.format("%s failed (%s)", t.options().kind(), t.error())
        : String.format("%s did not beat the start (held-out rsum %.1f)", t.options().kind(), t.result().start().rsum());
  }

  /** One kind trained from the prepared start and scored with every hubness correction; a failure is recorded. */
  private static Trained train(LearnedTrainer.Start start, EvalSet validation, INDArray refText, INDArray refImages,
                               List<HubnessCorrection> hubness, LearnedOptions o, Consumer<String> epochs) {
    try {
      List<Member> members = new ArrayList<>();
      LearnedTrainer.Result r;
      if (o.members() > 1) {
        r = trainEnsemble(start, o, members, epochs);
      } else {
        r = LearnedTrainer.train(start, o, epochs);
        if (r.improved()) {
          members.add(new Member(o.seed(), r.bestEpoch()));
        }
      }
      Map<String, ModelSearch.Candidate> best = new LinkedHashMap<>();
      for (ModelSearch.Candidate c : ModelSearch.Candidate.scoreLearned(r.map(), r.seconds(), validation, refText,
          refImages, hubness)) {
        best.merge(c.family(), c, (a, b) -> b.validation().rsum() > a.validation().rsum() ? b : a);
      }
      return new Trained(o, r, new ArrayList<>(best.values()), null, members);
    } catch (RuntimeException | LinkageError e) {
      // a missing native library or a broken run must not stop the refit: the closed forms stand
      return new Trained(o, null, List.of(), e.toString());
    }
  }

  /**
   * {@code o.members()} gMLP blocks on the same frozen start, seeds {@code o.seed()}, {@code o.seed() + 1}, …, each
   * stopped by the held-out pairs on its own. The blocks that beat the start are averaged ({@link GmlpMap}) and the
   * ensemble is scored on the held-out pairs; if it does not beat the start either, the best block alone stands for
   * it, and if no block beat the start the start does (as with one block). {@code members} receives each block that
   * the returned map holds: its seed and epochs, to train it again on every pair. The result's epochs and seconds
   * are every block's together, its best epoch the largest of the kept blocks'.
   */
  static LearnedTrainer.Result trainEnsemble(LearnedTrainer.Start start, LearnedOptions o, List<Member> members,
                                             Consumer<String> log) {
    List<LearnedTrainer.Result> kept = new ArrayList<>();
    List<Member> keptMembers = new ArrayList<>();
    LearnedTrainer.Result first = null;
    double seconds = 0;
    int epochs = 0;
    for (int i = 0; i < o.members(); i++) {
      LearnedOptions oi = o.withSeed(o.seed() + i).withMembers(1);
      LearnedTrainer.Result r = LearnedTrainer.train(start, oi, log);
      first = first == null ? r : first;
      seconds += r.seconds();
      epochs += r.epochs();
      if (r.improved()) {
        kept.add(r);
        keptMembers.add(new Member(oi.seed(), r.bestEpoch()));
      }
    }
    LearnedTrainer.Result chosen;
    if (kept.isEmpty()) {
      log.accept(String.format("%s: none of %d blocks beat the start", o.kind(), o.members()));
      chosen = first;
    } else if (kept.size() == 1) {
      log.accept(String.format("%s: 1 of %d blocks beat the start; it stands alone", o.kind(), o.members()));
      chosen = kept.get(0);
      members.addAll(keptMembers);
    } else {
      GmlpMap map = ensemble(kept.stream().map(r -> (GmlpMap) r.map()).toList());
      Recall.Result v = start.heldOut.score(map, true);
      log.accept(String.format("%s ensemble of %d blocks: held-out rsum %.1f (the blocks alone: %s)", o.kind(),
          kept.size(), v.rsum(), kept.stream().map(r -> String.format("%.1f", r.validation().rsum())).toList()));
      if (v.rsum() > first.start().rsum()) {
        int best = kept.stream().mapToInt(LearnedTrainer.Result::bestEpoch).max().orElse(0);
        chosen = new LearnedTrainer.Result(map, v, first.start(), epochs, best, seconds, 0, first.device());
        members.addAll(keptMembers);
      } else {
        int b = IntStream.range(0, kept.size()).boxed()
            .max(Comparator.comparingDouble(i -> kept.get(i).validation().rsum())).orElseThrow();
        log.accept(String.format("%s: the ensemble does not beat the start; its best block stands alone", o.kind()));
        chosen = kept.get(b);
        members.add(keptMembers.get(b));
      }
    }
    return new LearnedTrainer.Result(chosen.map(), chosen.validation(), chosen.start(), epochs, chosen.bestEpoch(),
        seconds, seconds / Math.max(1, epochs), chosen.device());
  }

  /** The blocks of maps that share their projections, averaged into one map (the first map's projections). */
  static GmlpMap ensemble(List<GmlpMap> maps) {
    GmlpMap g = maps.get(0);
    List<GmlpMap.Block> blocks = maps.stream().flatMap(x -> x.blocks().stream()).toList();
    Variant v = g.variant() instanceof Variant.Learned l
        ? new Variant.Learned(l.method(), l.hidden(), l.start(), l.loss(), blocks.size())
        : g.variant();
    return new GmlpMap(v, g.muX(), g.muY(), g.a(), g.b(), blocks, g.hubness());
  }
}
