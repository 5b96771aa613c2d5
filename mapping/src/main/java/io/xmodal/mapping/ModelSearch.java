package io.xmodal.mapping;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Fits every closed-form candidate from one set of statistics, scores each on validation pairs, and keeps the best
 * of each family (method, variant, hubness correction), choosing hyperparameters (λ, CCA regulariser, k, weighting,
 * β) by validation rsum. The trainer and the offline evaluation both use it, so they agree.
 */
public final class ModelSearch {

  private ModelSearch() {}

  /**
   * The grid. CCA is fitted for every text ridge in {@code ccaRegs} with every image ridge in {@code ccaImageRegs};
   * an empty {@code ccaImageRegs} gives each text ridge to the image side too.
   */
  public record Options(double[] lambdas, double[] ccaRegs, int[] ccaDims, double[] ccaPowers,
                        List<HubnessCorrection> hubness, boolean uncentred, List<Method> methods,
                        double[] ccaImageRegs, long maxVersionBytes) {

    /** The same ridge on both sides of CCA. */
    public Options(double[] lambdas, double[] ccaRegs, int[] ccaDims, double[] ccaPowers,
                   List<HubnessCorrection> hubness, boolean uncentred, List<Method> methods) {
      this(lambdas, ccaRegs, ccaDims, ccaPowers, hubness, uncentred, methods, new double[0]);
    }

    /** No limit on a version's size. */
    public Options(double[] lambdas, double[] ccaRegs, int[] ccaDims, double[] ccaPowers,
                   List<HubnessCorrection> hubness, boolean uncentred, List<Method> methods,
                   double[] ccaImageRegs) {
      this(lambdas, ccaRegs, ccaDims, ccaPowers, hubness, uncentred, methods, ccaImageRegs, Long.MAX_VALUE);
    }

    /**
     * The same grid for versions of at most {@code bytes} (the trainer's record limit): a candidate that could not
     * be published even without references is not fitted, and one that could not with its references is scored
     * without a hubness correction only.
     */
    public Options withMaxVersionBytes(long bytes) {
      return new Options(lambdas, ccaRegs, ccaDims, ccaPowers, hubness, uncentred, methods, ccaImageRegs, bytes);
    }

    public static Options defaults() {
      return new Options(new double[] {0.01, 0.1, 1.0}, new double[] {0.3, 1.0},
          new int[] {64, 128, 192, 256, 384},
          new double[] {0, 1, 2, 4},
          List.of(HubnessCorrection.NONE, HubnessCorrection.csls(10), HubnessCorrection.invertedSoftmax(20),
              HubnessCorrection.invertedSoftmax(40)),
          true, List.of(Method.LEAST_SQUARES, Method.PROCRUSTES, Method.CCA), new double[] {1.0, 2.0});
    }

    /** The ridge pairs CCA is fitted with. */
    public List<CcaRidge> ccaRidges() {
      List<CcaRidge> out = new ArrayList<>();
      for (double reg : ccaRegs) {
        if (ccaImageRegs.length == 0) {
          out.add(new CcaRidge(reg, reg));
        }
        for (double imageReg : ccaImageRegs) {
          out.add(new CcaRidge(reg, imageReg));
        }
      }
      return out;
    }

    /** A small grid for tests and quick refits. */
    public static Options quick() {
      return new Options(new double[] {0.1}, new double[] {0.1}, new int[] {64}, new double[] {0, 1},
          List.of(HubnessCorrection.NONE, HubnessCorrection.invertedSoftmax(30)), false,
          List.of(Method.LEAST_SQUARES, Method.PROCRUSTES, Method.CCA));
    }
  }

  /** CCA's ridge on the text side and on the image side. */
  public record CcaRidge(double text, double image) {}

  /**
   * A fitted map, its validation recall, how long its fit took, and the recipe that fits the same candidate
   * (method, hyperparameters, hubness) on other statistics.
   */
  public record Candidate(CrossModalMap map, Recall.Result validation, double fitSeconds,
                          Function<SufficientStats, ? extends CrossModalMap> recipe) {

    /** The same candidate fitted on {@code stats} (closed forms only; a learned candidate has no recipe). */
    public CrossModalMap refit(SufficientStats stats) {
      return recipe.apply(stats).withHubness(map.hubness());
    }

    public String family() {
      return familyOf(map);
    }

    /** The family a map belongs to: method, variant family and hubness correction kind. */
    public static String familyOf(CrossModalMap map) {
      return map.method() + " " + map.variant().family() + familyHubness(map.hubness());
    }

    /** Scores a learned map on the same pairs, with every hubness correction of the grid. */
    public static List<Candidate> scoreLearned(CrossModalMap map, double fitSeconds, EvalSet v, INDArray refText,
                                              INDArray refImages, List<HubnessCorrection> hubness) {
      List<Candidate> out = new ArrayList<>();
      List<Recall.Result> each = Recall.evaluateEach(map, hubness, v.captions(), v.captionImage(), v.images(), refText,
          refImages);
      for (int i = 0; i < hubness.size(); i++) {
        out.add(new Candidate(map.withHubness(hubness.get(i)), each.get(i), fitSeconds, null));
      }
      return out;
    }

    private static String familyHubness(HubnessCorrection h) {
      return switch (h.kind()) {
        case NONE -> "";
        case CSLS -> " +CSLS";
        case INVERTED_SOFTMAX -> " +IS";
      };
    }
  }

  /**
   * The recipe of a closed-form map read back from its method and variant (a persisted one), so it can be fitted
   * again on other statistics; empty for a learned map or a variant this version does not know.
   */
  public static Optional<Function<SufficientStats, LinearMap>> recipe(Method method,
                                                                                                   Variant variant) {
    Function<SufficientStats, LinearMap> r = null;
    if (method == Method.LEAST_SQUARES && variant instanceof Variant.LeastSquares ls) {
      r = st -> Fits.leastSquares(st, ls.lambda(), ls.centred(), ls.direction());
    } else if (method == Method.PROCRUSTES && variant instanceof Variant.Procrustes p) {
      r = p.reduction() == Variant.Procrustes.Reduction.PCA
          ? st -> Fits.procrustesPca(st, p.centred()) : st -> Fits.procrustesPad(st, p.centred());
    } else if (method == Method.CCA && variant instanceof Variant.Cca c) {
      r = st -> ccaCut(st, c.reg(), c.imageReg(), c.dims(), c.power());
    }
    return Optional.ofNullable(r);
  }

  // a CCA map of k directions fitted for itself: only its k directions are computed
  private static LinearMap ccaCut(SufficientStats st, double reg, double imageReg, int k, double power) {
    Fits.Cca cca = Fits.cca(st, reg, imageReg, k);
    LinearMap map = cca.map(k, power);
    cca.release();
    return map;
  }

  /**
   * The best candidate of every family, in a stable order. The maps that are not (or are no longer) a family's best
   * are freed as the search goes, so it holds about one map per family, not the whole grid.
   */
  public static List<Candidate> bestPerFamily(SufficientStats stats, EvalSet validation, INDArray referenceText,
                                              INDArray referenceImages, Options options, Consumer<String> log) {
    return search(stats, validation, referenceText, referenceImages, options, log).best();
  }

  /** What a search found: each family's best, and how many candidates it scored (maps × hubness corrections). */
  public record Found(List<Candidate> best, int scored) {}

  /** As {@link #bestPerFamily}, with the count of candidates scored. */
  public static Found search(SufficientStats stats, EvalSet validation, INDArray referenceText,
                             INDArray referenceImages, Options options, Consumer<String> log) {
    BestPerFamily best = new BestPerFamily();
    search(stats, validation, referenceText, referenceImages, options, log, best);
    return new Found(best.candidates(), best.scored);
  }

  /** Every candidate of the grid, scored (every map is held: for tests and small grids). */
  public static List<Candidate> all(SufficientStats stats, EvalSet validation, INDArray referenceText,
                                    INDArray referenceImages, Options o, Consumer<String> log) {
    List<Candidate> out = new ArrayList<>();
    search(stats, validation, referenceText, referenceImages, o, log, (base, scored) -> out.addAll(scored));
    return out;
  }

  /** Where the search puts each fitted map's scored candidates (one per hubness correction it was scored with). */
  private interface Sink {
    void accept(LinearMap base, List<Candidate> scored);
  }

  /** Keeps each family's best and frees every map none of them holds. */
  private static final class BestPerFamily implements Sink {
    private final Map<String, Candidate> best = new LinkedHashMap<>();
    private final Map<Candidate, LinearMap> baseOf = new IdentityHashMap<>();
    private final Map<LinearMap, Integer> holders = new IdentityHashMap<>();
    private int scored;

    @Override
    public void accept(LinearMap base, List<Candidate> scored) {
      this.scored += scored.size();
      for (Candidate c : scored) {
        Candidate previous = best.get(c.family());
        if (previous == null || c.validation().rsum() > previous.validation().rsum()) {
          best.put(c.family(), c);
          baseOf.put(c, base);
          holders.merge(base, 1, Integer::sum);
          if (previous != null) {
            drop(previous);
          }
        }
      }
      if (!holders.containsKey(base)) {
        free(base);
      }
    }

    private void drop(Candidate c) {
      LinearMap base = baseOf.remove(c);
      if (holders.merge(base, -1, Integer::sum) == 0) {
        holders.remove(base);
        free(base);
      }
    }

    private static void free(LinearMap m) {
      Linalg.release(m.muX(), m.muY(), m.a(), m.b(), m.weights());
    }

    List<Candidate> candidates() {
      return new ArrayList<>(best.values());
    }
  }

  /**
   * The grid fitted and scored. Least squares by factorisation and solves; Procrustes-pca from the top eigenpairs
   * only; CCA factored once per ridge and solved for the most directions any cut takes, its held-out rows and
   * references projected once per ridge and every (k, weighting) cut from that projection. A candidate too large to
   * be published (see {@link Options#withMaxVersionBytes}) is not fitted, or is scored without references.
   */
  private static void search(SufficientStats stats, EvalSet v, INDArray refText, INDArray refImages, Options o,
                             Consumer<String> log, Sink sink) {
    int dx = stats.textDim();
    int dy = stats.imageDim();
    List<Boolean> centring = o.uncentred() ? List.of(true, false) : List.of(true);
    if (o.methods().contains(Method.LEAST_SQUARES)) {
      for (boolean centred : centring) {
        for (Fits.Direction d : Fits.Direction.values()) {
          long parameters = VersionSize.parameters((long) dx * dy, centred ? dx + dy : 0);
          for (double lambda : o.lambdas()) {
            String label = Method.LEAST_SQUARES + " " + new Variant.LeastSquares(d, centred, lambda).label();
            if (tooLarge(label, parameters, o, log)) {
              continue;
            }
            long t0 = System.nanoTime();
            LinearMap map = Fits.leastSquares(stats, lambda, centred, d);
            score(sink, map, st -> Fits.leastSquares(st, lambda, centred, d), seconds(t0), v, refText, refImages,
                o, log, parameters, d == Fits.Direction.T2I ? dy : dx);
          }
        }
      }
    }
    if (o.methods().contains(Method.PROCRUSTES)) {
      for (boolean centred : centring) {
        long means = centred ? dx + dy : 0;
        long pcaParameters = VersionSize.parameters((long) dx * dx, (long) dy * dx, means);
        String pcaLabel = Method.PROCRUSTES + " " + new Variant.Procrustes(Variant.Procrustes.Reduction.PCA, centred)
            .label();
        if (dx > dy) {
          log.accept(String.format("%-48s not fitted: PCA of the image side needs text dimensions (%d) ≤ image "
              + "dimensions (%d)", pcaLabel, dx, dy));
        } else if (!tooLarge(pcaLabel, pcaParameters, o, log)) {
          long t0 = System.nanoTime();
          LinearMap pca = Fits.procrustesPca(stats, centred);
          score(sink, pca, st -> Fits.procrustesPca(st, centred), seconds(t0), v, refText, refImages, o, log,
              pcaParameters, dx);
        }
        long padParameters = VersionSize.parameters((long) dx * dy, means);
        String padLabel = Method.PROCRUSTES + " " + new Variant.Procrustes(Variant.Procrustes.Reduction.PAD, centred)
            .label();
        if (!tooLarge(padLabel, padParameters, o, log)) {
          long t0 = System.nanoTime();
          LinearMap pad = Fits.procrustesPad(stats, centred);
          score(sink, pad, st -> Fits.procrustesPad(st, centred), seconds(t0), v, refText, refImages, o, log,
              padParameters, dy);
        }
      }
    }
    if (o.methods().contains(Method.CCA)) {
      int most = Math.min(dx, dy);
      int kMax = Arrays.stream(o.ccaDims()).filter(k -> k <= most).max().orElse(0);
      if (kMax == 0) {
        return;
      }
      // image ridge by image ridge: the large side is factored once for each
      List<CcaRidge> ridges = new ArrayList<>(o.ccaRidges());
      ridges.sort(Comparator.comparingDouble(CcaRidge::image));
      try (Fits.CcaFactors factors = new Fits.CcaFactors(stats)) {
        for (CcaRidge ridge : ridges) {
          long t0 = System.nanoTime();
          Fits.Cca cca = factors.cca(ridge.text(), ridge.image(), kMax);
          double fit = seconds(t0);
          scoreCuts(sink, cca, ridge, fit, v, refText, refImages, o, log);
          cca.release();
        }
      }
    }
  }

  // whether a version of this candidate could not be published even without references; logged when so
  private static boolean tooLarge(String label, long parameterBytes, Options o, Consumer<String> log) {
    if (parameterBytes <= o.maxVersionBytes()) {
      return false;
    }
    log.accept(String.format("%-48s not fitted: a version would weigh at least %.1f MB, above the %.1f MB a mapping "
        + "record may hold", label, parameterBytes / 1e6, o.maxVersionBytes() / 1e6));
    return true;
  }

  // the corrections a map of this size may be published with: all of them if its references fit beside its
  // parameters, otherwise none but plain cosine (logged)
  private static List<HubnessCorrection> publishable(String label, long parameterBytes, long dimension, INDArray refText,
                                                     INDArray refImages, Options o, Consumer<String> log) {
    long references = VersionSize.references(refText == null ? 0 : refText.rows(),
        refImages == null ? 0 : refImages.rows(), dimension);
    if (parameterBytes + references <= o.maxVersionBytes()) {
      return o.hubness();
    }
    List<HubnessCorrection> plain = o.hubness().stream().filter(h -> h.kind() == HubnessCorrection.Kind.NONE)
        .toList();
    if (plain.size() < o.hubness().size()) {
      log.accept(String.format("%-48s hubness corrections not scored: with its references a version would weigh at "
          + "least %.1f MB, above the %.1f MB a mapping record may hold", label,
          (parameterBytes + references) / 1e6, o.maxVersionBytes() / 1e6));
    }
    return plain;
  }

  private static void score(Sink sink, LinearMap map,
                            Function<SufficientStats, ? extends CrossModalMap> recipe,
                            double fitSeconds, EvalSet v, INDArray refText, INDArray refImages, Options o,
                            Consumer<String> log, long parameterBytes, long dimension) {
    List<HubnessCorrection> corrections = publishable(map.label(), parameterBytes, dimension, refText, refImages, o,
        log);
    List<Candidate> scored = new ArrayList<>();
    if (!corrections.isEmpty()) {
      List<Recall.Result> each = Recall.evaluateEach(map, corrections, v.captions(), v.captionImage(), v.images(),
          refText, refImages);
      for (int i = 0; i < each.size(); i++) {
        scored.add(candidate(map.withHubness(corrections.get(i)), each.get(i), fitSeconds, recipe, log));
      }
    }
    sink.accept(map, scored);
  }

  /**
   * Every (k, weighting) cut of one CCA solution: the held-out rows and the references projected once onto its
   * directions (unweighted, not normalised), each cut then the first k columns of that projection, weighted and
   * normalised, the references rounded as a version carries them; what {@code Recall.evaluateEach} would give for
   * each cut's map, without projecting anything again.
   */
  private static void scoreCuts(Sink sink, Fits.Cca cca, CcaRidge ridge, double fitSeconds, EvalSet v,
                                INDArray refText, INDArray refImages, Options o, Consumer<String> log) {
    int kMax = (int) cca.a().columns();
    LinearMap full = cca.map(kMax, 0);
    INDArray[] projected = {
        LinearMap.affine(v.captions(), full.muX(), full.a(), null),
        LinearMap.affine(v.images(), full.muY(), full.b(), null),
        refText == null ? null : LinearMap.affine(refText, full.muX(), full.a(), null),
        refImages == null ? null : LinearMap.affine(refImages, full.muY(), full.b(), null)};
    for (int k : o.ccaDims()) {
      if (k > kMax) {
        continue;
      }
      for (double power : o.ccaPowers()) {
        LinearMap map = cca.map(k, power);
        long parameters = VersionSize.parameters(map);
        List<HubnessCorrection> corrections = publishable(map.label(), parameters, k, refText, refImages, o, log);
        boolean penalised = corrections.stream().anyMatch(h -> h.kind() != HubnessCorrection.Kind.NONE);
        INDArray zt = cut(projected[0], k, map.weights());
        INDArray zi = cut(projected[1], k, map.weights());
        INDArray rt = penalised && refText != null ? rounded(cut(projected[2], k, map.weights())) : null;
        INDArray ri = penalised && refImages != null ? rounded(cut(projected[3], k, map.weights())) : null;
        List<Recall.Result> each = corrections.isEmpty() ? List.of()
            : Recall.evaluateProjected(zt, zi, v.captionImage(), corrections, rt, ri);
        Linalg.release(zt, zi, rt, ri);
        List<Candidate> scored = new ArrayList<>();
        for (int i = 0; i < each.size(); i++) {
          scored.add(candidate(map.withHubness(corrections.get(i)), each.get(i), fitSeconds,
              st -> ccaCut(st, ridge.text(), ridge.image(), k, power), log));
        }
        sink.accept(map, scored);
      }
    }
    Linalg.release(projected);
    Linalg.release(full.muX(), full.muY(), full.a(), full.b());
  }

  // the first k columns of a projection, weighted (w may be null) and normalised, in a fresh array
  private static INDArray cut(INDArray projected, int k, INDArray w) {
    INDArray view = projected.get(NDArrayIndex.all(),
        NDArrayIndex.interval(0, k));
    INDArray weighted = w == null ? view.dup('c') : view.mulRowVector(w);
    INDArray normalised = LinearMap.normalizeRows(weighted);
    Linalg.release(weighted);
    return normalised;
  }

  private static INDArray rounded(INDArray m) {
    INDArray r = Int8Rows.roundTrip(m);
    Linalg.release(m);
    return r;
  }

  private static Candidate candidate(CrossModalMap m, Recall.Result r, double fitSeconds,
                                     Function<SufficientStats, ? extends CrossModalMap> recipe,
                                     Consumer<String> log) {
    log.accept(String.format("%-48s rsum %6.1f", m.label(), r.rsum()));
    return new Candidate(m, r, fitSeconds, recipe);
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
