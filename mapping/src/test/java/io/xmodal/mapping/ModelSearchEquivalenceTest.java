package io.xmodal.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The model search's shortcuts (solves instead of inverses, partial eigensolvers, one CCA factorisation per ridge,
 * every cut scored from one projection, references rounded without bytes, penalties shared between corrections)
 * against the straightforward computation written out here: explicit inverses, full decompositions, each candidate
 * projected and scored on its own with plain loops. Both must choose the same candidate of every family with the
 * same scores, so the optimised search cannot drift from the plain one.
 */
class ModelSearchEquivalenceTest {

  static final int DX = 10;
  static final int DY = 18;
  static final List<HubnessCorrection> HUBNESS = List.of(HubnessCorrection.NONE, HubnessCorrection.csls(3),
      HubnessCorrection.invertedSoftmax(20), HubnessCorrection.invertedSoftmax(40));
  static final ModelSearch.Options GRID = new ModelSearch.Options(new double[] {0.01, 0.1, 1.0},
      new double[] {0.3, 1.0}, new int[] {3, 6, 8}, new double[] {0, 1, 2}, HUBNESS, true,
      List.of(Method.LEAST_SQUARES, Method.PROCRUSTES, Method.CCA), new double[] {1.0, 2.0});

  record Problem(SufficientStats stats, EvalSet validation, INDArray refText, INDArray refImages) {}

  // image rows y, caption rows x = y·M + noise (a few captions per image), all L2-normalised as the trainer keeps them
  static Problem problem(long seed) {
    Random r = new Random(seed);
    double[][] m = new double[DY][DX];
    for (double[] row : m) {
      for (int j = 0; j < DX; j++) {
        row[j] = r.nextGaussian();
      }
    }
    List<float[]> tx = new ArrayList<>();
    List<float[]> ty = new ArrayList<>();
    List<float[]> vx = new ArrayList<>();
    List<float[]> vy = new ArrayList<>();
    List<Integer> captionImage = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      float[] y = new float[DY];
      for (int j = 0; j < DY; j++) {
        y[j] = (float) (r.nextGaussian() + 0.3);
      }
      boolean heldOut = i % 10 == 0;
      if (heldOut) {
        vy.add(Vectors.l2(y));
      }
      for (int c = 0; c < 3; c++) {
        float[] x = new float[DX];
        for (int k = 0; k < DX; k++) {
          double v = 0;
          for (int j = 0; j < DY; j++) {
            v += y[j] * m[j][k];
          }
          x[k] = (float) (v + 4.0 * r.nextGaussian());
        }
        if (heldOut) {
          vx.add(Vectors.l2(x));
          captionImage.add(vy.size() - 1);
        } else {
          tx.add(Vectors.l2(x));
          ty.add(Vectors.l2(y));
        }
      }
    }
    SufficientStats stats = SufficientStats.of(tx.toArray(float[][]::new), ty.toArray(float[][]::new));
    EvalSet v = new EvalSet(Linalg.floatMatrix(vx.toArray(float[][]::new)),
        captionImage.stream().mapToInt(Integer::intValue).toArray(), Linalg.floatMatrix(vy.toArray(float[][]::new)));
    INDArray refText = Linalg.floatMatrix(tx.subList(0, 150).toArray(float[][]::new));
    List<float[]> distinctImages = new ArrayList<>();
    for (int i = 0; i < ty.size(); i += 3) {
      distinctImages.add(ty.get(i));
    }
    INDArray refImages = Linalg.floatMatrix(distinctImages.subList(0, 60).toArray(float[][]::new));
    return new Problem(stats, v, refText, refImages);
  }

  @Test
  void shouldChooseTheSameCandidateOfEveryFamilyWithTheSameScoresAsThePlainComputation() {
    Problem p = problem(11);

    List<ModelSearch.Candidate> fast = ModelSearch.bestPerFamily(p.stats(), p.validation(), p.refText(),
        p.refImages(), GRID, line -> { });
    Map<String, Plain> plain = plainBestPerFamily(p);

    assertThat(fast).extracting(ModelSearch.Candidate::family).containsExactlyInAnyOrderElementsOf(plain.keySet());
    for (ModelSearch.Candidate c : fast) {
      Plain expected = plain.get(c.family());
      assertThat(c.map().label()).as(c.family()).isEqualTo(expected.label());
      assertThat(c.validation().rsum()).as(c.family()).isCloseTo(expected.recall().rsum(), within(1e-9));
    }
    ModelSearch.Candidate best = fast.stream()
        .max(java.util.Comparator.comparingDouble(c -> c.validation().rsum())).orElseThrow();
    Plain plainBest = plain.values().stream()
        .max(java.util.Comparator.comparingDouble(c -> c.recall().rsum())).orElseThrow();
    assertThat(best.map().label()).isEqualTo(plainBest.label());
  }

  @Test
  void shouldScoreWithReferencesOnlyTheCandidatesWhoseVersionCanHoldThem() {
    Problem p = problem(12);
    INDArray refText = p.refText().get(NDArrayIndex.interval(0, 30), NDArrayIndex.all()).dup();
    INDArray refImages = p.refImages().get(NDArrayIndex.interval(0, 10), NDArrayIndex.all()).dup();
    // a byte less than Procrustes-pca's parameters: room for every other map's parameters, and for references at the
    // CCA's fewest dimensions but not at 10 or 18 (least squares)
    long limit = VersionSize.parameters((long) DX * DX, (long) DY * DX) - 1;
    List<String> log = new ArrayList<>();

    List<ModelSearch.Candidate> found = ModelSearch.bestPerFamily(p.stats(), p.validation(), refText, refImages,
        GRID.withMaxVersionBytes(limit), log::add);

    assertThat(found).filteredOn(c -> c.map().method() == Method.LEAST_SQUARES)
        .isNotEmpty().allMatch(c -> c.map().hubness().kind() == HubnessCorrection.Kind.NONE);
    assertThat(found).filteredOn(c -> c.map().method() == Method.CCA)
        .anyMatch(c -> c.map().hubness().kind() == HubnessCorrection.Kind.CSLS);
    // Procrustes after PCA would weigh more than the limit even without references: not fitted at all
    assertThat(found).noneMatch(c -> c.map().variant().label().startsWith("pca"));
    assertThat(log).anyMatch(l -> l.startsWith("PROCRUSTES pca") && l.contains("not fitted"));
    assertThat(log).anyMatch(l -> l.startsWith("LEAST_SQUARES") && l.contains("hubness corrections not scored"));
    for (ModelSearch.Candidate c : found) {
      long dimension = comparisonDimension((LinearMap) c.map());
      long bytes = VersionSize.parameters(c.map()) + (c.map().hubness().kind() == HubnessCorrection.Kind.NONE ? 0
          : VersionSize.references(refText.rows(), refImages.rows(), dimension));
      assertThat(bytes).as(c.map().label()).isLessThanOrEqualTo(limit);
    }
  }

  static long comparisonDimension(LinearMap m) {
    return m.dimension();
  }

  // ---- the plain computation ----

  record Plain(String label, Recall.Result recall) {}

  static Map<String, Plain> plainBestPerFamily(Problem p) {
    Map<String, Plain> best = new HashMap<>();
    for (LinearMap map : plainMaps(p.stats())) {
      for (HubnessCorrection h : HUBNESS) {
        LinearMap m = map.withHubness(h);
        Plain scored = new Plain(m.label(), plainRecall(m, p));
        best.merge(ModelSearch.Candidate.familyOf(m), scored,
            (a, b) -> b.recall().rsum() > a.recall().rsum() ? b : a);
      }
    }
    return best;
  }

  static List<LinearMap> plainMaps(SufficientStats s) {
    List<LinearMap> out = new ArrayList<>();
    for (boolean centred : new boolean[] {true, false}) {
      for (Fits.Direction d : Fits.Direction.values()) {
        for (double lambda : GRID.lambdas()) {
          INDArray gram = d == Fits.Direction.T2I ? s.cxx(centred) : s.cyy(centred);
          INDArray inverse = invert(gram.add(Nd4j.eye(gram.rows()).castTo(DataType.DOUBLE)
              .muli(lambda * trace(gram) / gram.rows())));
          INDArray w = d == Fits.Direction.T2I ? inverse.mmul(s.cxy(centred))
              : inverse.mmul(s.cxy(centred).transpose());
          out.add(new LinearMap(Method.LEAST_SQUARES, new Variant.LeastSquares(d, centred, lambda),
              centred ? s.meanX() : null, centred ? s.meanY() : null, d == Fits.Direction.T2I ? w : null,
              d == Fits.Direction.I2T ? w : null, null, HubnessCorrection.NONE));
        }
      }
    }
    for (boolean centred : new boolean[] {true, false}) {
      INDArray cyy = s.cyy(centred);
      Linalg.Eigen all = Linalg.topEigen(cyy, DY);
      INDArray pca = all.vectors().get(NDArrayIndex.all(), NDArrayIndex.interval(0, DX));
      INDArray r = svdOrthogonal(s.cxy(centred).mmul(pca));
      out.add(new LinearMap(Method.PROCRUSTES, new Variant.Procrustes(Variant.Procrustes.Reduction.PCA, centred),
          centred ? s.meanX() : null, centred ? s.meanY() : null, r, pca, null, HubnessCorrection.NONE));
      out.add(new LinearMap(Method.PROCRUSTES, new Variant.Procrustes(Variant.Procrustes.Reduction.PAD, centred),
          centred ? s.meanX() : null, centred ? s.meanY() : null, svdOrthogonal(s.cxy(centred)), null, null,
          HubnessCorrection.NONE));
    }
    for (double reg : GRID.ccaRegs()) {
      for (double imageReg : GRID.ccaImageRegs()) {
        INDArray lxi = invert(cholesky(ridged(s.cxx(true), reg)));
        INDArray lyi = invert(cholesky(ridged(s.cyy(true), imageReg)));
        Linalg.Svd svd = Linalg.thinSvd(lxi.mmul(s.cxy(true)).mmul(lyi.transpose()));
        INDArray a = lxi.transpose().mmul(svd.u());
        INDArray b = lyi.transpose().mmul(svd.vt().transpose());
        for (int k : GRID.ccaDims()) {
          for (double power : GRID.ccaPowers()) {
            INDArray w = null;
            if (power != 0) {
              w = Nd4j.create(DataType.DOUBLE, 1, k);
              for (int j = 0; j < k; j++) {
                w.putScalar(0, j, Math.pow(Math.max(svd.s().getDouble(j), 1e-6), power));
              }
            }
            out.add(new LinearMap(Method.CCA, new Variant.Cca(reg, k, power, imageReg), s.meanX(), s.meanY(),
                a.get(NDArrayIndex.all(), NDArrayIndex.interval(0, k)),
                b.get(NDArrayIndex.all(), NDArrayIndex.interval(0, k)), w, HubnessCorrection.NONE));
          }
        }
      }
    }
    return out;
  }

  static INDArray svdOrthogonal(INDArray m) {
    Linalg.Svd svd = Linalg.thinSvd(m);
    return svd.u().mmul(svd.vt());
  }

  static INDArray ridged(INDArray c, double reg) {
    return c.add(Nd4j.eye(c.rows()).castTo(DataType.DOUBLE).muli(reg * trace(c) / c.rows()));
  }

  // the lower factor by the textbook recurrence
  static INDArray cholesky(INDArray c) {
    int d = (int) c.rows();
    double[][] l = new double[d][d];
    for (int i = 0; i < d; i++) {
      for (int j = 0; j <= i; j++) {
        double sum = c.getDouble(i, j);
        for (int k = 0; k < j; k++) {
          sum -= l[i][k] * l[j][k];
        }
        l[i][j] = i == j ? Math.sqrt(sum) : sum / l[j][j];
      }
    }
    return Nd4j.create(l).castTo(DataType.DOUBLE);
  }

  // Gauss–Jordan elimination with partial pivoting
  static INDArray invert(INDArray m) {
    int d = (int) m.rows();
    double[][] a = m.toDoubleMatrix();
    double[][] inv = new double[d][d];
    for (int i = 0; i < d; i++) {
      inv[i][i] = 1;
    }
    for (int col = 0; col < d; col++) {
      int pivot = col;
      for (int r = col + 1; r < d; r++) {
        if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) {
          pivot = r;
        }
      }
      double[] t = a[col];
      a[col] = a[pivot];
      a[pivot] = t;
      t = inv[col];
      inv[col] = inv[pivot];
      inv[pivot] = t;
      double p = a[col][col];
      for (int j = 0; j < d; j++) {
        a[col][j] /= p;
        inv[col][j] /= p;
      }
      for (int r = 0; r < d; r++) {
        if (r != col) {
          double f = a[r][col];
          for (int j = 0; j < d; j++) {
            a[r][j] -= f * a[col][j];
            inv[r][j] -= f * inv[col][j];
          }
        }
      }
    }
    return Nd4j.create(inv).castTo(DataType.DOUBLE);
  }

  static double trace(INDArray c) {
    double t = 0;
    for (int i = 0; i < c.rows(); i++) {
      t += c.getDouble(i, i);
    }
    return t;
  }

  // the map projects, the references go through their bytes, and every penalty is a plain loop in double
  static Recall.Result plainRecall(LinearMap m, Problem p) {
    float[][] zt = m.projectText(p.validation().captions()).toFloatMatrix();
    float[][] zi = m.projectImages(p.validation().images()).toFloatMatrix();
    float[][] sims = new float[zt.length][zi.length];
    for (int c = 0; c < zt.length; c++) {
      for (int i = 0; i < zi.length; i++) {
        sims[c][i] = dot(zt[c], zi[i]);
      }
    }
    float[] imagePenalty = new float[zi.length];
    float[] captionPenalty = new float[zt.length];
    if (m.hubness().kind() != HubnessCorrection.Kind.NONE) {
      float[][] rt = bytesRoundTrip(m.projectText(p.refText()));
      float[][] ri = bytesRoundTrip(m.projectImages(p.refImages()));
      for (int i = 0; i < zi.length; i++) {
        imagePenalty[i] = penalty(m.hubness(), zi[i], rt);
      }
      for (int c = 0; c < zt.length; c++) {
        captionPenalty[c] = penalty(m.hubness(), zt[c], ri);
      }
    }
    return Recall.fromScores(sims, p.validation().captionImage(), imagePenalty, captionPenalty);
  }

  static float[][] bytesRoundTrip(INDArray m) {
    return Int8Rows.decode(ByteBuffer.wrap(Int8Rows.encode(m)), (int) m.rows(), (int) m.columns()).toFloatMatrix();
  }

  static float penalty(HubnessCorrection h, float[] item, float[][] references) {
    double[] s = new double[references.length];
    for (int q = 0; q < references.length; q++) {
      s[q] = dot(item, references[q]);
    }
    if (h.kind() == HubnessCorrection.Kind.CSLS) {
      double[] sorted = s.clone();
      java.util.Arrays.sort(sorted);
      double sum = 0;
      for (int j = 0; j < h.k(); j++) {
        sum += sorted[sorted.length - 1 - j];
      }
      return (float) (0.5 * sum / h.k());
    }
    double max = java.util.Arrays.stream(s).max().orElseThrow();
    double sum = 0;
    for (double v : s) {
      sum += Math.exp(h.beta() * (v - max));
    }
    return (float) (max + Math.log(sum) / h.beta());
  }

  static float dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return (float) s;
  }
}
