package io.xmodal.mapping.refit;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.mapping.CrossModalMap;
import io.xmodal.mapping.EvalSet;
import io.xmodal.mapping.HeldOut;
import io.xmodal.mapping.ModelSearch;
import io.xmodal.mapping.Recall;
import io.xmodal.mapping.SufficientStats;
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
    Random r = new Random(5);
    double[][] m = new double[DY][DX];
    for (double[] row : m) {
      for (int j = 0; j < DX; j++) {
        row[j] = r.nextGaussian();
      }
    }
    TrainingSet set = new TrainingSet(DX, DY, 0);
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
          x[k] = (float) (v + 1.5 * r.nextGaussian());
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
