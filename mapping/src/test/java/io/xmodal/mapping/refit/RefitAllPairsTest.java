package io.xmodal.mapping.refit;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.mapping.CrossModalMap;
import io.xmodal.mapping.EvalSet;
import io.xmodal.mapping.HeldOut;
import io.xmodal.mapping.LinearMap;
import io.xmodal.mapping.Method;
import io.xmodal.mapping.ModelSearch;
import io.xmodal.mapping.Recall;
import io.xmodal.mapping.SufficientStats;
import io.xmodal.mapping.Variant;
import io.xmodal.mapping.Vectors;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The all-pairs refit of the best closed form, and the gate's view of a live map fitted on all pairs. */
class RefitAllPairsTest {

  static final int DX = 12;
  static final int DY = 16;

  /** 300 images with 2 captions each, caption = image·M + noise. */
  static TrainingSet set(List<float[][]> allPairs) {
    return set(allPairs, 0);
  }

  static TrainingSet set(List<float[][]> allPairs, int learnedRows) {
    Random r = new Random(5);
    double[][] m = new double[DY][DX];
    for (double[] row : m) {
      for (int j = 0; j < DX; j++) {
        row[j] = r.nextGaussian();
      }
    }
    TrainingSet set = new TrainingSet(DX, DY, learnedRows);
    List<float[]> xs = new ArrayList<>();
    List<float[]> ys = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      float[] y = new float[DY];
      for (int j = 0; j < DY; j++) {
        y[j] = (float) r.nextGaussian();
      }
      String imageId = "img-" + i;
      for (int c = 0; c < 2; c++) {
        float[] x = new float[DX];
        for (int k = 0; k < DX; k++) {
          double v = 0;
          for (int j = 0; j < DY; j++) {
            v += y[j] * m[j][k];
          }
          x[k] = (float) (v + 3.0 * r.nextGaussian());
        }
        set.add(new TrainingPair(imageId + "#" + c, imageId, HeldOut.isHeldOut(imageId, 10), x, y));
        xs.add(Vectors.l2(x));
        ys.add(Vectors.l2(y));
      }
    }
    allPairs.add(xs.toArray(float[][]::new));
    allPairs.add(ys.toArray(float[][]::new));
    return set;
  }

  @Test
  void shouldFitTheBestClosedFormAgainOnEveryPairAndKeepItsTrainingOnlyScore() {
    List<float[][]> every = new ArrayList<>();
    RefitInput in = set(every).snapshot();

    Refit.Result r = Refit.run(in, ModelSearch.Options.quick(), Refit.LearnedStep.NONE, null, true, line -> { });

    ModelSearch.Candidate best = r.candidates().stream()
        .max(java.util.Comparator.comparingDouble((ModelSearch.Candidate c) -> c.validation().rsum())).orElseThrow();
    assertThat(r.allPairs()).isNotNull();
    assertThat(r.allPairs().of()).isSameAs(best);
    assertThat(r.allPairs().pairs()).isEqualTo(600);
    assertThat(r.pairsUsed()).isEqualTo(600 - in.validation().captionCount());
    assertThat(r.pairsUsed(best)).isEqualTo(600);
    // the served map is the same recipe fitted on statistics of every pair
    CrossModalMap direct = best.refit(SufficientStats.of(every.get(0), every.get(1)));
    assertThat(r.served(best)).isNotSameAs(best.map());
    INDArray probe = io.xmodal.mapping.Linalg.floatMatrix(new float[][] {every.get(0)[0], every.get(0)[7]});
    assertThat(r.served(best).projectText(probe).toFloatMatrix())
        .isDeepEqualTo(direct.projectText(probe).toFloatMatrix());
    // any other candidate is served as it was fitted
    r.candidates().stream().filter(c -> c != best).forEach(c -> assertThat(r.served(c)).isSameAs(c.map()));
  }

  @Test
  void shouldScoreALiveMapFittedOnAllPairsThroughItsRecipeOnTheTrainingPairs() {
    List<float[][]> every = new ArrayList<>();
    RefitInput in = set(every).snapshot();
    Refit.Result first = Refit.run(in, ModelSearch.Options.quick(), Refit.LearnedStep.NONE, null, true, l -> { });
    CrossModalMap served = first.served(first.allPairs().of());
    EvalSet v = in.validation();
    double asItIs = Recall.evaluate(served, v.captions(), v.captionImage(), v.images(), in.referenceText(),
        in.referenceImages()).rsum();

    Refit.Result honest = Refit.run(in, ModelSearch.Options.quick(), Refit.LearnedStep.NONE,
        new Refit.Live(served, true), true, l -> { });
    Refit.Result naive = Refit.run(in, ModelSearch.Options.quick(), Refit.LearnedStep.NONE,
        new Refit.Live(served, false), true, l -> { });

    // on the same training pairs the live recipe is the best candidate itself: the same score, not the inflated one
    assertThat(honest.liveRecall().rsum()).isEqualTo(first.allPairs().of().validation().rsum());
    assertThat(naive.liveRecall().rsum()).isEqualTo(asItIs);
    assertThat(asItIs).isGreaterThan(honest.liveRecall().rsum());
    assertThat(Gates.passesQuality(first.allPairs().of().validation(), honest.liveRecall())).isTrue();
  }

  /** A learned map: the best CCA's projections under a learned variant (it has no closed-form recipe). */
  static CrossModalMap learned(ModelSearch.Candidate cca) {
    LinearMap l = (LinearMap) cca.map();
    return new LinearMap(Method.CONTRASTIVE, new Variant.Learned(Method.CONTRASTIVE, 0, l.variant(), "infonce"),
        l.muX(), l.muY(), l.a(), l.b(), l.weights(), l.hubness());
  }

  @Test
  void shouldTrainALearnedChoiceAgainOnTheLearnedRowsAndTheHeldOutPairs() {
    // Given a learned step whose candidate beats every closed form on the held-out pairs
    List<float[][]> every = new ArrayList<>();
    RefitInput in = set(every, 10_000).snapshot();
    int heldOut = in.validation().captionCount();
    List<Integer> rowsSeen = new ArrayList<>();
    CrossModalMap[] retrained = new CrossModalMap[1];
    Refit.LearnedStep step = new Refit.LearnedStep() {
      ModelSearch.Candidate mine;

      @Override
      public List<Refit.LearnedOutcome> train(float[][] x, float[][] y, List<ModelSearch.Candidate> closed,
                                              EvalSet v, INDArray rt, INDArray ri,
                                              List<io.xmodal.mapping.HubnessCorrection> h,
                                              java.util.function.Consumer<String> log) {
        ModelSearch.Candidate cca = closed.stream().filter(c -> c.map() instanceof LinearMap).findFirst()
            .orElseThrow();
        mine = new ModelSearch.Candidate(learned(cca), new Recall.Result(100, 100, 100, 100, 100, 100), 1.0, null);
        return List.of(new Refit.LearnedOutcome("CONTRASTIVE", List.of(mine), null, "trained", java.util.Map.of()));
      }

      @Override
      public CrossModalMap onAllPairs(ModelSearch.Candidate chosen, SufficientStats all, float[][] x, float[][] y,
                                      java.util.function.Consumer<String> log) {
        assertThat(chosen).isSameAs(mine);
        assertThat(all.count()).isEqualTo(600);
        rowsSeen.add(x.length);
        rowsSeen.add(y.length);
        retrained[0] = learned(new ModelSearch.Candidate(chosen.map(), chosen.validation(), 0, null));
        return retrained[0];
      }
    };

    // When the refit runs with all pairs on
    Refit.Result r = Refit.run(in, ModelSearch.Options.quick(), step, null, true, line -> { });

    // Then the learned choice is trained again on its rows plus the held-out pairs, and that map is served on 600
    ModelSearch.Candidate best = r.allPairs().of();
    assertThat(best.map().method()).isEqualTo(Method.CONTRASTIVE);
    assertThat(rowsSeen).containsExactly(600, 600);
    assertThat(in.learnedRows()[0].length).isEqualTo(600 - heldOut);
    assertThat(r.served(best)).isSameAs(retrained[0]);
    assertThat(r.pairsUsed(best)).isEqualTo(600);
  }

  @Test
  void shouldTakeTheRecordedTwinScoreForALiveLearnedMapOnlyWhenItWasScoredOnTheSameHeldOutSet() {
    List<float[][]> every = new ArrayList<>();
    RefitInput in = set(every).snapshot();
    EvalSet v = in.validation();
    ModelSearch.Candidate cca = ModelSearch.bestPerFamily(in.stats(), v, in.referenceText(),
        in.referenceImages(), ModelSearch.Options.quick(), l -> { }).stream()
        .filter(c -> c.map() instanceof LinearMap).findFirst().orElseThrow();
    CrossModalMap live = learned(cca);
    Recall.Result recorded = new Recall.Result(10, 20, 30, 11, 21, 31);
    Recall.Result sameFamily = new Recall.Result(5, 6, 7, 8, 9, 10);
    // a learned step whose one candidate is of the live map's family
    Refit.LearnedStep step = (x, y, closed, val, rt, ri, h, log) -> List.of(new Refit.LearnedOutcome("CONTRASTIVE",
        List.of(new ModelSearch.Candidate(live, sameFamily, 1.0, null)), null, "trained", java.util.Map.of()));
    RefitInput withRows = set(new ArrayList<>(), 10_000).snapshot();
    List<String> log = new ArrayList<>();

    // scored on a held-out set of the same size: the twin's recorded score
    Refit.Result same = Refit.run(in, ModelSearch.Options.quick(), Refit.LearnedStep.NONE, new Refit.Live(live, true,
        new Refit.Recorded(recorded, v.imageCount(), v.captionCount())), false, log::add);
    assertThat(same.liveRecall()).isEqualTo(recorded);
    assertThat(log).anyMatch(l -> l.contains("training-only twin scored on the same"));

    // recorded on a smaller set (recall falls as the searched set grows): this refit's candidate of the same family
    Refit.Result grown = Refit.run(withRows, ModelSearch.Options.quick(), step, new Refit.Live(live, true,
        new Refit.Recorded(recorded, v.imageCount() - 5, v.captionCount() - 10)), false, l -> { });
    assertThat(grown.liveRecall()).isEqualTo(sameFamily);

    // nothing comparable at all: scored as it is (here the CCA's own projections, so the CCA's score)
    Refit.Result unknown = Refit.run(in, ModelSearch.Options.quick(), Refit.LearnedStep.NONE,
        new Refit.Live(live, true), false, l -> { });
    assertThat(unknown.liveRecall()).isEqualTo(cca.validation());
  }

  @Test
  void shouldReadTheRecipeOfEveryClosedFormBackFromItsMethodAndVariant() {
    List<float[][]> every = new ArrayList<>();
    RefitInput in = set(every).snapshot();
    INDArray probe = io.xmodal.mapping.Linalg.floatMatrix(new float[][] {every.get(0)[3]});
    for (ModelSearch.Candidate c : ModelSearch.all(in.stats(), in.validation(), null, null,
        ModelSearch.Options.quick(), l -> { })) {
      var recipe = ModelSearch.recipe(c.map().method(), io.xmodal.mapping.Variant.class.cast(c.map().variant()));
      assertThat(recipe).as(c.map().label()).isPresent();
      assertThat(recipe.get().apply(in.stats()).projectText(probe).toFloatMatrix()).as(c.map().label())
          .isDeepEqualTo(c.map().projectText(probe).toFloatMatrix());
    }
  }
}
