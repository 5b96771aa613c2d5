package io.xmodal.learned;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.xmodal.device.DeviceChoice;
import io.xmodal.mapping.CrossModalMap;
import io.xmodal.mapping.EvalSet;
import io.xmodal.mapping.Fits;
import io.xmodal.mapping.GmlpMap;
import io.xmodal.mapping.HubnessCorrection;
import io.xmodal.mapping.Linalg;
import io.xmodal.mapping.LinearMap;
import io.xmodal.mapping.Recall;
import io.xmodal.mapping.SufficientStats;
import io.xmodal.mapping.Vectors;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class LearnedTrainerTest {

  static final int DX = 16;
  static final int DY = 24;

  /** Non-linearly related pairs: a CCA start is good but not perfect, so there is something to learn. */
  record Data(float[][] x, float[][] y, EvalSet validation) {}

  static Data data(long seed) {
    return data(seed, 0.6);
  }

  /** @param noise the standard deviation of the noise added to each text coordinate after the tanh */
  static Data data(long seed, double noise) {
    Random r = new Random(seed);
    double[][] m = new double[DY][DX];
    Random mr = new Random(5);
    for (double[] row : m) {
      for (int j = 0; j < DX; j++) {
        row[j] = mr.nextGaussian();
      }
    }
    int n = 1200;
    float[][] x = new float[n][];
    float[][] y = new float[n][];
    for (int i = 0; i < n; i++) {
      float[] yi = new float[DY];
      for (int j = 0; j < DY; j++) {
        yi[j] = (float) r.nextGaussian();
      }
      float[] xi = new float[DX];
      for (int k = 0; k < DX; k++) {
        double v = 0;
        for (int j = 0; j < DY; j++) {
          v += yi[j] * m[j][k];
        }
        xi[k] = (float) (Math.tanh(v / 3) * 3 + noise * r.nextGaussian());
      }
      x[i] = Vectors.l2(xi);
      y[i] = Vectors.l2(yi);
    }
    int held = 200;
    float[][] vx = java.util.Arrays.copyOfRange(x, 0, held);
    float[][] vy = java.util.Arrays.copyOfRange(y, 0, held);
    int[] own = new int[held];
    for (int i = 0; i < held; i++) {
      own[i] = i;
    }
    return new Data(java.util.Arrays.copyOfRange(x, held, n), java.util.Arrays.copyOfRange(y, held, n),
        new EvalSet(Linalg.matrix(vx), own, Linalg.matrix(vy)));
  }

  static LearnedOptions options(io.xmodal.mapping.Method kind) {
    return options(kind, 1e-3);
  }

  static LearnedOptions options(io.xmodal.mapping.Method kind, double learningRate) {
    return new LearnedOptions(kind, LearnedOptions.Loss.INFONCE, 4, 4, 128, learningRate, 0.1, 16, 3,
        DeviceChoice.CPU);
  }

  static Recall.Result rescore(CrossModalMap map, EvalSet v) {
    return Recall.evaluate(map, v.captions(), v.captionImage(), v.images(), null, null);
  }

  @Test
  void shouldImproveOnTheClosedFormStartWhenTheRelationIsNonLinear() {
    // Given noisy pairs related through a tanh, so the CCA start finds about a third of them (rsum 216.5 of 600)
    Data d = data(1, 4.0);
    LinearMap start = Fits.cca(SufficientStats.of(d.x(), d.y()), 0.1).map(DX, 1);
    List<String> log = new ArrayList<>();

    for (io.xmodal.mapping.Method kind : io.xmodal.mapping.Method.learnedMethods()) {
      // When each kind trains from it
      LearnedTrainer.Result r = LearnedTrainer.train(d.x(), d.y(), start, d.validation(), null, null,
          HubnessCorrection.NONE, options(kind, 1e-2), log::add);

      // Then it beats the start on the held-out pairs, returns its own kind of map, and the recall it reports is the
      // returned map's, scored again from scratch
      assertThat(r.improved()).as(kind.name()).isTrue();
      assertThat(r.validation().rsum()).as(kind.name()).isGreaterThan(r.start().rsum());
      assertThat(r.map().method().name()).isEqualTo(kind.name());
      assertThat(rescore(r.map(), d.validation())).isEqualTo(r.validation());
      assertThat(r.start()).isEqualTo(rescore(start, d.validation()));
    }
    assertThat(log).anyMatch(l -> l.contains("epoch 1"));
  }

  @Test
  void shouldAverageAnEnsembleOfBlocksOnOneFrozenStartAndTrainEachAgainOnEveryPair() {
    // Given the non-linear pairs, a CCA start with its recipe, and a frozen-start gMLP of three blocks (seeds 8 to 10)
    Data d = data(1, 4.0);
    io.xmodal.mapping.ModelSearch.Candidate cca = ccaCandidate(d);
    LinearMap start = (LinearMap) cca.map();
    LearnedOptions three = options(io.xmodal.mapping.Method.GMLP, 1e-2).withFrozenStart(true).withSeed(8)
        .withMembers(3);
    var step = LearnedSearch.step(List.of(three));
    List<String> log = new ArrayList<>();

    // When the refit's learned step trains it
    var outcome = step.train(d.x(), d.y(), List.of(cca), d.validation(), null, null, List.of(HubnessCorrection.NONE),
        log::add).get(0);

    // Then its map averages the blocks that beat the start (here seeds 8 and 9: seed 10's four epochs never do, and a
    // block that learned nothing would only dilute the others), shares the start's projections, and reports the
    // ensemble's own held-out recall
    assertThat(outcome.error()).isNull();
    io.xmodal.mapping.ModelSearch.Candidate chosen = outcome.candidates().get(0);
    GmlpMap g = (GmlpMap) chosen.map();
    assertThat(g.blocks()).hasSize(2);
    assertThat(g.variant().label()).startsWith("text-gmlp h=16 x2 from ");
    assertThat(g.a().toFloatMatrix()).isDeepEqualTo(start.a().mulRowVector(start.weights()).toFloatMatrix());
    assertThat(chosen.validation()).isEqualTo(rescore(g, d.validation()));
    assertThat(log).anyMatch(l -> l.contains("ensemble of 2 blocks"));
    assertThat(log.stream().filter(l -> l.contains("held-out rsum") && l.contains("at the start")).count())
        .isEqualTo(3);

    // And trained again on every pair, each block for its own epochs, it is again an ensemble of those blocks on the
    // start refitted on every pair
    float[][] allX = concat(d.x(), d.validation().captions());
    float[][] allY = concat(d.y(), d.validation().images());
    SufficientStats all = SufficientStats.of(allX, allY);
    GmlpMap again = (GmlpMap) step.onAllPairs(chosen, all, allX, allY, log::add);
    assertThat(again.blocks()).hasSize(2);
    assertThat(log).anyMatch(l -> l.equals("GMLP from CCA c+l2 r=0.1 k=16 w=σ^1: 2 epochs on 1200 pairs"))
        .anyMatch(l -> l.equals("GMLP from CCA c+l2 r=0.1 k=16 w=σ^1: 1 epochs on 1200 pairs"));
    LinearMap refitted = Fits.cca(all, 0.1).map(DX, 1);
    assertThat(again.a().toFloatMatrix()).isDeepEqualTo(refitted.a().mulRowVector(refitted.weights()).toFloatMatrix());
    assertThat(again.projectText(d.validation().captions()).sub(g.projectText(d.validation().captions()))
        .amaxNumber().doubleValue()).isGreaterThan(1e-4);
    // and an ensemble needs the frozen start its blocks share
    assertThatThrownBy(() -> options(io.xmodal.mapping.Method.GMLP).withMembers(2))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("frozen start");
  }

  @Test
  void shouldServeTheOneBlockThatBeatTheStartTrainedAgainWithItsOwnSeed() {
    // Given an ensemble of two blocks, seeds 10 and 11, of which only the second's, seed 11, beats the start
    Data d = data(1, 4.0);
    io.xmodal.mapping.ModelSearch.Candidate cca = ccaCandidate(d);
    LearnedOptions two = options(io.xmodal.mapping.Method.GMLP, 1e-2).withFrozenStart(true).withSeed(10)
        .withMembers(2);
    var step = LearnedSearch.step(List.of(two));
    List<String> log = new ArrayList<>();

    var outcome = step.train(d.x(), d.y(), List.of(cca), d.validation(), null, null, List.of(HubnessCorrection.NONE),
        log::add).get(0);

    // Then that block stands alone, labelled as one block, and its training counts both blocks' epochs
    GmlpMap g = (GmlpMap) outcome.candidates().get(0).map();
    assertThat(g.blocks()).hasSize(1);
    assertThat(g.variant().label()).startsWith("text-gmlp h=16 from ");
    assertThat(log).contains("GMLP: 1 of 2 blocks beat the start; it stands alone");
    assertThat(outcome.figures()).containsEntry("epochs", 8.0).containsEntry("members", 1.0);

    // and trained again on every pair it is seed 11's block for its epochs, not a block of the options' seed 10
    float[][] allX = concat(d.x(), d.validation().captions());
    float[][] allY = concat(d.y(), d.validation().images());
    SufficientStats all = SufficientStats.of(allX, allY);
    GmlpMap again = (GmlpMap) step.onAllPairs(outcome.candidates().get(0), all, allX, allY, log::add);
    int epochs = outcome.figures().get("best_epoch").intValue();
    LearnedTrainer.Result seed11 = LearnedTrainer.trainFixed(allX, allY, Fits.cca(all, 0.1).map(DX, 1),
        HubnessCorrection.NONE, two.withMembers(1).withSeed(11), epochs, l -> { });
    LearnedTrainer.Result seed10 = LearnedTrainer.trainFixed(allX, allY, Fits.cca(all, 0.1).map(DX, 1),
        HubnessCorrection.NONE, two.withMembers(1), epochs, l -> { });
    INDArray q = d.validation().captions();
    assertThat(again.projectText(q).sub(seed11.map().projectText(q)).amaxNumber().doubleValue()).isLessThan(1e-6);
    // (a block of another seed is another map: the comparison above can tell them apart)
    assertThat(seed10.map().projectText(q).sub(seed11.map().projectText(q)).amaxNumber().doubleValue())
        .isGreaterThan(1e-4);
  }

  /** The weighted CCA start on the pairs, as a refit's candidate with its recipe (what the learned maps start from). */
  static io.xmodal.mapping.ModelSearch.Candidate ccaCandidate(Data d) {
    LinearMap start = Fits.cca(SufficientStats.of(d.x(), d.y()), 0.1).map(DX, 1);
    return new io.xmodal.mapping.ModelSearch.Candidate(start, rescore(start, d.validation()), 0,
        stats -> Fits.cca(stats, 0.1).map(DX, 1));
  }

  static float[][] concat(float[][] a, INDArray b) {
    float[][] out = java.util.Arrays.copyOf(a, a.length + (int) b.rows());
    float[][] rows = b.toFloatMatrix();
    System.arraycopy(rows, 0, out, a.length, rows.length);
    return out;
  }

  @Test
  void shouldTrainOnlyTheBlockWhenTheStartIsFrozenAndStillImproveOnIt() {
    // Given the non-linear pairs and a CCA start with dimension weights
    Data d = data(1, 4.0);
    LinearMap start = Fits.cca(SufficientStats.of(d.x(), d.y()), 0.1).map(DX, 1);
    LearnedOptions frozen = options(io.xmodal.mapping.Method.GMLP, 1e-2).withFrozenStart(true);
    List<String> log = new ArrayList<>();

    // When a gMLP trains from it with the start's projections frozen
    LearnedTrainer.Result r = LearnedTrainer.train(d.x(), d.y(), start, d.validation(), null, null,
        HubnessCorrection.NONE, frozen, log::add);

    // Then its projections are the start's (its dimension weights folded in), exactly, and its block learned enough
    // to beat the start on the held-out pairs
    GmlpMap g = (GmlpMap) r.map();
    assertThat(g.a().toFloatMatrix()).isDeepEqualTo(start.a().mulRowVector(start.weights()).toFloatMatrix());
    assertThat(g.b().toFloatMatrix()).isDeepEqualTo(start.b().mulRowVector(start.weights()).toFloatMatrix());
    assertThat(g.block().w2().sumNumber().doubleValue()).isNotZero();
    assertThat(r.improved()).isTrue();
    assertThat(r.validation().rsum()).isGreaterThan(r.start().rsum());
    assertThat(log).anyMatch(l -> l.contains("projections frozen"));
    // and a contrastive map, which is nothing but its projections, cannot be asked to freeze them
    assertThatThrownBy(() -> options(io.xmodal.mapping.Method.CONTRASTIVE).withFrozenStart(true))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot be frozen");
  }

  @Test
  void shouldProjectTheFrozenImageSideOnceAsEveryStepWouldHave() {
    // Given a weighted CCA start and its 1,000 training pairs (in batches of 128 the last one is short)
    Data d = data(1, 4.0);
    LinearMap start = Fits.cca(SufficientStats.of(d.x(), d.y()), 0.1).map(DX, 1);
    LearnedTrainer.Start s = LearnedTrainer.Start.unscored(d.x(), d.y(), start, HubnessCorrection.NONE);
    int k = s.k;
    try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
      // When its image side is applied to every training image row once
      float[] once = s.projectedImages(m, 128);

      // Then each row is what a step computed for a shuffled batch of its own, (y − μy)·B in PyTorch
      int[] batch = new Random(7).ints(0, d.y().length).distinct().limit(128).toArray();
      float[] rows = new float[batch.length * DY];
      for (int i = 0; i < batch.length; i++) {
        System.arraycopy(d.y()[batch[i]], 0, rows, i * DY, DY);
      }
      float[] step = m.create(rows, new Shape(batch.length, DY)).sub(m.create(s.muY, new Shape(1, DY)))
          .matMul(m.create(s.b, new Shape(DY, k))).toFloatArray();
      for (int i = 0; i < batch.length; i++) {
        for (int j = 0; j < k; j++) {
          assertThat(once[batch[i] * k + j]).isCloseTo(step[i * k + j], org.assertj.core.data.Offset.offset(1e-6f));
        }
      }
      // and the start's own image side before its normalisation, ((y − μy)·B) ⊙ w, in float64
      org.nd4j.linalg.api.buffer.DataType f64 = org.nd4j.linalg.api.buffer.DataType.DOUBLE;
      double[][] exact = Linalg.matrix(d.y()).castTo(f64).subRowVector(start.muY().castTo(f64))
          .mmul(start.b().castTo(f64)).mulRowVector(start.weights().castTo(f64)).toDoubleMatrix();
      for (int i = 0; i < exact.length; i++) {
        for (int j = 0; j < k; j++) {
          assertThat((double) once[i * k + j]).isCloseTo(exact[i][j], org.assertj.core.data.Offset.offset(1e-5));
        }
      }
      // and asked again, by a training of another batch size, it is that projection, not a new one
      assertThat(s.projectedImages(m, 64)).isSameAs(once);
    }
  }

  @Test
  void shouldTrainTheSameFrozenStartMapsFromOneSharedStartAsWhenEachProjectedItsOwnRows() {
    // Given a frozen-start gMLP scored with CSLS against reference rows, and one start prepared for two seeds, as an
    // ensemble's blocks share it (the second training reuses the image rows, held-out images and references the first
    // projected)
    Data d = data(1, 4.0);
    LinearMap start = Fits.cca(SufficientStats.of(d.x(), d.y()), 0.1).map(DX, 1);
    INDArray refText = Linalg.matrix(java.util.Arrays.copyOf(d.x(), 300));
    INDArray refImages = Linalg.matrix(java.util.Arrays.copyOf(d.y(), 300));
    HubnessCorrection csls = HubnessCorrection.csls(10);
    LearnedOptions frozen = options(io.xmodal.mapping.Method.GMLP, 1e-2).withFrozenStart(true);
    LearnedTrainer.Start shared = LearnedTrainer.Start.scored(d.x(), d.y(), start, csls, d.validation(), refText,
        refImages, null);
    EvalSet v = d.validation();
    for (long seed : new long[] {3, 4}) {
      // When each seed trains from the shared start and from a start of its own
      LearnedTrainer.Result a = LearnedTrainer.train(shared, frozen.withSeed(seed), line -> { });
      LearnedTrainer.Result b = LearnedTrainer.train(d.x(), d.y(), start, v, refText, refImages, csls,
          frozen.withSeed(seed), line -> { });

      // Then the two are the same trained map, chosen at the same epoch with the same held-out recall, and that recall
      // is the map's scored from scratch (every projection made again)
      assertThat(a.improved()).isTrue();
      assertThat(a.epochs()).isEqualTo(b.epochs());
      assertThat(a.bestEpoch()).isEqualTo(b.bestEpoch());
      assertThat(a.validation()).isEqualTo(b.validation())
          .isEqualTo(Recall.evaluate(a.map(), v.captions(), v.captionImage(), v.images(), refText, refImages));
      assertThat(a.map().projectText(v.captions()).data().asFloat())
          .containsExactly(b.map().projectText(v.captions()).data().asFloat());
      assertThat(a.map().projectImages(v.images()).data().asFloat())
          .containsExactly(b.map().projectImages(v.images()).data().asFloat());
    }
  }

  @Test
  void shouldTakeTheStartsHeldOutRecallAsGivenInsteadOfScoringItAgain() {
    // Given a start whose held-out recall is given (as a refit gives its closed-form candidate's), here a perfect one
    Data d = data(1, 4.0);
    LinearMap start = Fits.cca(SufficientStats.of(d.x(), d.y()), 0.1).map(DX, 1);
    Recall.Result perfect = new Recall.Result(100, 100, 100, 100, 100, 100);
    LearnedTrainer.Start s = LearnedTrainer.Start.scored(d.x(), d.y(), start, HubnessCorrection.NONE, d.validation(),
        null, null, perfect);
    List<String> log = new ArrayList<>();

    // When a gMLP that beats the start's real recall (216.5) trains from it
    LearnedTrainer.Result r = LearnedTrainer.train(s, options(io.xmodal.mapping.Method.GMLP, 1e-2)
        .withFrozenStart(true), log::add);

    // Then the given recall is the start's: no epoch beats it, so the start stands with that recall
    assertThat(r.start()).isSameAs(perfect);
    assertThat(r.improved()).isFalse();
    assertThat(r.validation()).isSameAs(perfect);
    assertThat(log.get(0)).endsWith("held-out rsum 600.0 at the start (its projections frozen, the block trained)");
  }

  @Test
  void shouldReturnTheClosedFormStartWhenTrainingOnlyMakesItWorse() {
    // Given a learning rate so large that every epoch is worse than the start
    Data d = data(1);
    LinearMap start = Fits.cca(SufficientStats.of(d.x(), d.y()), 0.1).map(DX, 1);

    for (io.xmodal.mapping.Method kind : io.xmodal.mapping.Method.learnedMethods()) {
      // When each kind trains from it
      LearnedTrainer.Result r = LearnedTrainer.train(d.x(), d.y(), start, d.validation(), null, null,
          HubnessCorrection.NONE, options(kind, 5.0), line -> { });

      // Then no epoch is kept and the start comes back, with the start's own recall
      assertThat(r.improved()).as(kind.name()).isFalse();
      assertThat(r.epochs()).as(kind.name()).isPositive();
      assertThat(r.map().label()).isEqualTo(start.label());
      assertThat(r.validation()).isEqualTo(r.start()).isEqualTo(rescore(start, d.validation()));
    }
  }

  @Test
  void shouldTrainOnAThreadOtherThanTheOneThatLoadedPyTorch() throws Exception {
    Data d = data(3, 4.0);
    LinearMap start = Fits.cca(SufficientStats.of(d.x(), d.y()), 0.1).map(DX, 1);
    Engine.getEngine("PyTorch"); // loaded here; the trainer's fit thread is another one, as in mapping-trainer
    java.util.concurrent.ExecutorService fit = java.util.concurrent.Executors.newSingleThreadExecutor();
    try {
      LearnedTrainer.Result r = fit.submit(() -> LearnedTrainer.train(d.x(), d.y(), start, d.validation(), null, null,
          HubnessCorrection.NONE, options(io.xmodal.mapping.Method.CONTRASTIVE, 1e-2), line -> { })).get();

      // the parameters were updated on that thread (in place, outside autograd) and it learned something
      assertThat(r.epochs()).isBetween(1, 4);
      assertThat(r.improved()).isTrue();
      assertThat(r.validation().rsum()).isGreaterThan(r.start().rsum());
    } finally {
      fit.shutdown();
    }
  }

  @Test
  void shouldGiveExactlyTheSameMapForTheSameSeed() {
    // Given the same pairs, start and options (seed 3) twice in one JVM
    Data d = data(2);
    LinearMap start = Fits.cca(SufficientStats.of(d.x(), d.y()), 0.1).map(DX, 1);

    LearnedTrainer.Result a = LearnedTrainer.train(d.x(), d.y(), start, d.validation(), null, null,
        HubnessCorrection.NONE, options(io.xmodal.mapping.Method.GMLP), line -> { });
    LearnedTrainer.Result b = LearnedTrainer.train(d.x(), d.y(), start, d.validation(), null, null,
        HubnessCorrection.NONE, options(io.xmodal.mapping.Method.GMLP), line -> { });

    // Then the runs are identical, not merely close: the shuffles, dropout masks and initial weights come from the
    // seed, and PyTorch's CPU kernels are deterministic for the same shapes and thread count. A step repeated after
    // a spurious NaN gradient (see LearnedTrainer.STEP_ATTEMPTS) recomputes the same step, so it changes nothing.
    assertThat(a.epochs()).isEqualTo(b.epochs());
    assertThat(a.bestEpoch()).isEqualTo(b.bestEpoch());
    assertThat(a.validation()).isEqualTo(b.validation());
    assertThat(a.map().projectText(d.validation().captions()).data().asFloat())
        .containsExactly(b.map().projectText(d.validation().captions()).data().asFloat());
  }

  @Test
  void shouldTrainForExactlyTheGivenEpochsWithoutHeldOutPairsAndMatchTheChosenEpoch() {
    // Given a training run that chose an epoch on the held-out pairs
    Data d = data(1, 4.0);
    LinearMap start = Fits.cca(SufficientStats.of(d.x(), d.y()), 0.1).map(DX, 1);
    LearnedOptions o = options(io.xmodal.mapping.Method.GMLP, 1e-2);
    LearnedTrainer.Result chosen = LearnedTrainer.train(d.x(), d.y(), start, d.validation(), null, null,
        HubnessCorrection.NONE, o, line -> { });
    assertThat(chosen.bestEpoch()).isPositive();
    List<String> log = new ArrayList<>();

    // When the same pairs are trained for that many epochs with no held-out pairs at all
    LearnedTrainer.Result fixed = LearnedTrainer.trainFixed(d.x(), d.y(), start, HubnessCorrection.NONE, o,
        chosen.bestEpoch(), log::add);

    // Then it runs exactly those epochs, scores nothing, and gives the chosen epoch's map (the held-out scoring takes
    // nothing from the seeded shuffles and masks), which is how a refit trains its choice again on every pair
    assertThat(fixed.epochs()).isEqualTo(chosen.bestEpoch());
    assertThat(fixed.bestEpoch()).isEqualTo(chosen.bestEpoch());
    assertThat(fixed.validation()).isNull();
    assertThat(log).filteredOn(l -> l.contains(" epoch ")).hasSize(chosen.bestEpoch());
    assertThat(fixed.map().projectText(d.validation().captions()).data().asFloat())
        .containsExactly(chosen.map().projectText(d.validation().captions()).data().asFloat());
  }

  @Test
  void shouldServeInJavaExactlyWhatPyTorchComputes() {
    Random random = new Random(9);
    try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
      List<NDArray> params = new ArrayList<>();
      LearnedTrainer.Block block = new LearnedTrainer.Block(m, DX, 8, random, params);
      // give every parameter non-trivial values (the output layer starts at zero)
      for (NDArray p : params) {
        float[] v = new float[(int) p.size()];
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) (random.nextGaussian() * 0.3);
        }
        p.set(v);
      }
      float[] z = new float[5 * DX];
      for (int i = 0; i < z.length; i++) {
        z[i] = (float) random.nextGaussian();
      }
      NDArray torch = block.forward(m.create(z, new Shape(5, DX)));
      INDArray zj = org.nd4j.linalg.factory.Nd4j.create(z, new long[] {5, DX});
      GmlpMap java = new GmlpMap(new io.xmodal.mapping.Variant.Opaque("t"), org.nd4j.linalg.factory.Nd4j.zeros(1, DX), org.nd4j.linalg.factory.Nd4j.zeros(1, DY),
          org.nd4j.linalg.factory.Nd4j.eye(DX), org.nd4j.linalg.factory.Nd4j.zeros(DY, DX), block.export(),
          HubnessCorrection.NONE);
      // projectText(z) = unit(z + block(z)) with μ = 0 and A = I: compare with PyTorch's unit(z + block(z))
      float[] expected = LearnedTrainer.unit(torch.add(m.create(z, new Shape(5, DX)))).toFloatArray();
      // five rows go through BLAS, one row through the Java loop: both must match
      float[] actual = java.projectText(zj).data().asFloat();
      for (int i = 0; i < expected.length; i++) {
        assertThat(actual[i]).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-4f));
      }
      for (int r = 0; r < 5; r++) {
        float[] one = java.projectText(zj.getRow(r, true).dup()).data().asFloat();
        for (int i = 0; i < DX; i++) {
          assertThat(one[i]).isCloseTo(expected[r * DX + i], org.assertj.core.data.Offset.offset(1e-4f));
        }
      }
    }
  }

  @Test
  void shouldClearANanGradientSoThatTheStepCanBeComputedAgain() {
    Engine engine = Engine.getEngine("PyTorch");
    try (NDManager m = engine.newBaseManager()) {
      NDArray p = m.create(new float[] {1f, 2f, 3f}, new Shape(3));
      p.setRequiresGradient(true);
      try (ai.djl.training.GradientCollector gc = engine.newGradientCollector()) {
        gc.backward(p.mul(Float.NaN).sum());
      }
      assertThat(p.getGradient().toFloatArray()).containsOnly(Float.NaN);

      LearnedTrainer.zeroGradients(List.of(p));

      assertThat(p.getGradient().toFloatArray()).containsOnly(0f);
      try (ai.djl.training.GradientCollector gc = engine.newGradientCollector()) {
        gc.backward(p.mul(2f).sum());
      }
      assertThat(p.getGradient().toFloatArray()).containsOnly(2f);
    }
  }
}
