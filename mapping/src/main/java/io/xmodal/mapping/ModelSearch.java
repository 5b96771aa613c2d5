package io.xmodal.mapping;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.nd4j.linalg.api.ndarray.INDArray;

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
                        double[] ccaImageRegs) {

    /** The same ridge on both sides of CCA. */
    public Options(double[] lambdas, double[] ccaRegs, int[] ccaDims, double[] ccaPowers,
                   List<HubnessCorrection> hubness, boolean uncentred, List<Method> methods) {
      this(lambdas, ccaRegs, ccaDims, ccaPowers, hubness, uncentred, methods, new double[0]);
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
                          java.util.function.Function<SufficientStats, ? extends CrossModalMap> recipe) {

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
  public static java.util.Optional<java.util.function.Function<SufficientStats, LinearMap>> recipe(Method method,
                                                                                                   Variant variant) {
    java.util.function.Function<SufficientStats, LinearMap> r = null;
    if (method == Method.LEAST_SQUARES && variant instanceof Variant.LeastSquares ls) {
      r = st -> Fits.leastSquares(st, ls.lambda(), ls.centred(), ls.direction());
    } else if (method == Method.PROCRUSTES && variant instanceof Variant.Procrustes p) {
      r = p.reduction() == Variant.Procrustes.Reduction.PCA
          ? st -> Fits.procrustesPca(st, p.centred()) : st -> Fits.procrustesPad(st, p.centred());
    } else if (method == Method.CCA && variant instanceof Variant.Cca c) {
      r = st -> Fits.cca(st, c.reg(), c.imageReg()).map(c.dims(), c.power());
    }
    return java.util.Optional.ofNullable(r);
  }

  /** The best candidate of every family, in a stable order. */
  public static List<Candidate> bestPerFamily(SufficientStats stats, EvalSet validation, INDArray referenceText,
                                              INDArray referenceImages, Options options, Consumer<String> log) {
    Map<String, Candidate> best = new LinkedHashMap<>();
    for (Candidate c : all(stats, validation, referenceText, referenceImages, options, log)) {
      best.merge(c.family(), c, (a, b) -> b.validation().rsum() > a.validation().rsum() ? b : a);
    }
    return new ArrayList<>(best.values());
  }

  /** Every candidate of the grid, scored. */
  public static List<Candidate> all(SufficientStats stats, EvalSet validation, INDArray referenceText,
                                    INDArray referenceImages, Options o, Consumer<String> log) {
    List<Candidate> out = new ArrayList<>();
    List<Boolean> centring = o.uncentred() ? List.of(true, false) : List.of(true);
    if (o.methods().contains(Method.LEAST_SQUARES)) {
      for (boolean centred : centring) {
        for (Fits.Direction d : Fits.Direction.values()) {
          for (double lambda : o.lambdas()) {
            long t0 = System.nanoTime();
            LinearMap map = Fits.leastSquares(stats, lambda, centred, d);
            score(out, map, st -> Fits.leastSquares(st, lambda, centred, d), seconds(t0), validation, referenceText,
                referenceImages, o, log);
          }
        }
      }
    }
    if (o.methods().contains(Method.PROCRUSTES)) {
      for (boolean centred : centring) {
        long t0 = System.nanoTime();
        LinearMap pca = Fits.procrustesPca(stats, centred);
        score(out, pca, st -> Fits.procrustesPca(st, centred), seconds(t0), validation, referenceText,
            referenceImages, o, log);
        t0 = System.nanoTime();
        LinearMap pad = Fits.procrustesPad(stats, centred);
        score(out, pad, st -> Fits.procrustesPad(st, centred), seconds(t0), validation, referenceText,
            referenceImages, o, log);
      }
    }
    if (o.methods().contains(Method.CCA)) {
      for (CcaRidge ridge : o.ccaRidges()) {
        long t0 = System.nanoTime();
        Fits.Cca cca = Fits.cca(stats, ridge.text(), ridge.image());
        double fit = seconds(t0);
        for (int k : o.ccaDims()) {
          if (k > Math.min(stats.textDim(), stats.imageDim())) {
            continue;
          }
          for (double power : o.ccaPowers()) {
            score(out, cca.map(k, power), st -> Fits.cca(st, ridge.text(), ridge.image()).map(k, power), fit,
                validation, referenceText, referenceImages, o, log);
          }
        }
      }
    }
    return out;
  }

  private static void score(List<Candidate> out, CrossModalMap map,
                            java.util.function.Function<SufficientStats, ? extends CrossModalMap> recipe,
                            double fitSeconds,
                            EvalSet v, INDArray refText, INDArray refImages, Options o, Consumer<String> log) {
    List<Recall.Result> each = Recall.evaluateEach(map, o.hubness(), v.captions(), v.captionImage(), v.images(),
        refText, refImages);
    for (int i = 0; i < each.size(); i++) {
      CrossModalMap m = map.withHubness(o.hubness().get(i));
      out.add(new Candidate(m, each.get(i), fitSeconds, recipe));
      log.accept(String.format("%-48s rsum %6.1f", m.label(), each.get(i).rsum()));
    }
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
