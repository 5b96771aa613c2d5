package io.xmodal.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

class FitsTest {

  static final int DX = 6;
  static final int DY = 10;

  /** y = x M + small noise, for n pairs (deterministic). */
  static float[][][] pairs(int n, long seed) {
    Random r = new Random(seed);
    double[][] m = new double[DX][DY];
    Random mr = new Random(7);
    for (double[] row : m) {
      for (int j = 0; j < DY; j++) {
        row[j] = mr.nextGaussian();
      }
    }
    float[][] x = new float[n][DX];
    float[][] y = new float[n][DY];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < DX; k++) {
        x[i][k] = (float) (r.nextGaussian() + 0.5);
      }
      for (int j = 0; j < DY; j++) {
        double v = 0.2;
        for (int k = 0; k < DX; k++) {
          v += x[i][k] * m[k][j];
        }
        y[i][j] = (float) (v + 0.01 * r.nextGaussian());
      }
    }
    return new float[][][] {x, y};
  }

  static double maxAbsDiff(INDArray a, INDArray b) {
    return Transforms.abs(a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE))).maxNumber().doubleValue();
  }

  @Test
  void incrementalStatisticsShouldGiveTheSameMapAsABatchFit() {
    float[][][] p = pairs(500, 1);
    float[][][] extra = pairs(40, 2);
    SufficientStats incremental = new SufficientStats(DX, DY);
    // in uneven chunks, plus pairs added and removed again (a replaced item)
    incremental.add(Arrays.copyOfRange(p[0], 0, 123), Arrays.copyOfRange(p[1], 0, 123));
    incremental.add(extra[0], extra[1]);
    incremental.add(Arrays.copyOfRange(p[0], 123, 500), Arrays.copyOfRange(p[1], 123, 500));
    incremental.subtract(extra[0], extra[1]);
    SufficientStats batch = SufficientStats.of(p[0], p[1]);

    for (Fits.Direction d : Fits.Direction.values()) {
      LinearMap a = Fits.leastSquares(incremental, 0.1, true, d);
      LinearMap b = Fits.leastSquares(batch, 0.1, true, d);
      INDArray wa = d == Fits.Direction.T2I ? a.a() : a.b();
      INDArray wb = d == Fits.Direction.T2I ? b.a() : b.b();
      assertThat(maxAbsDiff(wa, wb)).as("max |W_incremental − W_batch| %s", d).isLessThanOrEqualTo(1e-4);
    }
    assertThat(incremental.count()).isEqualTo(500);
    assertThat(maxAbsDiff(incremental.rawXy(), batch.rawXy())).isLessThanOrEqualTo(1e-6);
  }

  @Test
  void pairsSharingAnImageRowShouldAddUpAsEachPairAlone() {
    // 30 images of five captions each, every image's captions holding one row object, in mixed order
    float[][][] p = pairs(150, 4);
    float[][] images = Arrays.copyOf(p[1], 30);
    float[][] shared = new float[150][];
    float[][] copies = new float[150][];
    for (int i = 0; i < 150; i++) {
      shared[i] = images[(i * 7) % 30];
      copies[i] = shared[i].clone();
    }
    SufficientStats grouped = SufficientStats.of(p[0], shared);
    SufficientStats plain = new SufficientStats(DX, DY);
    for (int i = 0; i < 150; i++) {
      plain.add(new float[][] {p[0][i]}, new float[][] {copies[i]});
    }
    grouped.subtract(Arrays.copyOfRange(p[0], 0, 10), Arrays.copyOfRange(shared, 0, 10));
    plain.subtract(Arrays.copyOfRange(p[0], 0, 10), Arrays.copyOfRange(copies, 0, 10));

    assertThat(grouped.count()).isEqualTo(plain.count()).isEqualTo(140);
    assertThat(maxAbsDiff(grouped.rawXx(), plain.rawXx())).isLessThanOrEqualTo(1e-9);
    assertThat(maxAbsDiff(grouped.rawYy(), plain.rawYy())).isLessThanOrEqualTo(1e-9);
    assertThat(maxAbsDiff(grouped.rawXy(), plain.rawXy())).isLessThanOrEqualTo(1e-9);
    assertThat(maxAbsDiff(grouped.meanX(), plain.meanX())).isLessThanOrEqualTo(1e-12);
    assertThat(maxAbsDiff(grouped.meanY(), plain.meanY())).isLessThanOrEqualTo(1e-12);
    assertThat(maxAbsDiff(grouped.rawYy(), new SufficientStats(DX, DY).rawYy())).isGreaterThan(1.0);
  }

  @Test
  void snapshotsShouldRoundTrip() {
    float[][][] p = pairs(50, 3);
    SufficientStats s = SufficientStats.of(p[0], p[1]);

    SufficientStats back = SufficientStats.fromBytes(s.toBytes());

    assertThat(back.count()).isEqualTo(50);
    assertThat(maxAbsDiff(back.rawXx(), s.rawXx())).isZero();
    assertThat(maxAbsDiff(back.cxy(true), s.cxy(true))).isZero();
  }

  @Test
  void leastSquaresShouldRecoverAKnownLinearRelation() {
    float[][][] p = pairs(2000, 4);
    SufficientStats s = SufficientStats.of(p[0], p[1]);

    LinearMap t2i = Fits.leastSquares(s, 1e-6, true, Fits.Direction.T2I);

    // mapped text ≈ centred image: residual small relative to the signal
    INDArray x = Linalg.matrix(p[0]).subRowVector(s.meanX());
    INDArray y = Linalg.matrix(p[1]).subRowVector(s.meanY());
    double residual = x.mmul(t2i.a().castTo(DataType.DOUBLE)).sub(y).norm2Number().doubleValue()
        / y.norm2Number().doubleValue();
    assertThat(residual).isLessThan(0.01);
  }

  @Test
  void procrustesMapsShouldBeOrthogonal() {
    float[][][] p = pairs(300, 5);
    SufficientStats s = SufficientStats.of(p[0], p[1]);

    INDArray pca = Fits.procrustesPca(s, true).a();
    INDArray pad = Fits.procrustesPad(s, true).a();

    assertThat(pca.shape()).containsExactly(DX, DX);
    assertThat(maxAbsDiff(pca.transpose().mmul(pca), Nd4j.eye(DX))).isLessThanOrEqualTo(1e-4);
    assertThat(pad.shape()).containsExactly(DX, DY);
    assertThat(maxAbsDiff(pad.mmul(pad.transpose()), Nd4j.eye(DX))).isLessThanOrEqualTo(1e-4);
  }

  @Test
  void ccaShouldFindTheSharedDirectionsWithCorrelationsNearOne() {
    float[][][] p = pairs(2000, 6);
    SufficientStats s = SufficientStats.of(p[0], p[1]);

    Fits.Cca cca = Fits.cca(s, 1e-6);

    // y is a linear function of x (rank DX): DX canonical correlations ≈ 1, sorted descending
    for (int j = 0; j < DX; j++) {
      assertThat(cca.correlations().getDouble(j)).isGreaterThan(0.99).isLessThanOrEqualTo(1.0001);
    }
    // canonical variates are decorrelated and unit-variance on the text side: Aᵀ Cxx A ≈ I
    INDArray a = cca.a();
    assertThat(maxAbsDiff(a.transpose().mmul(s.cxx(true)).mmul(a), Nd4j.eye(DX))).isLessThan(1e-3);
  }

  @Test
  void ccaShouldWhitenEachSideWithItsOwnRidge() {
    float[][][] p = pairs(500, 7);
    SufficientStats s = SufficientStats.of(p[0], p[1]);

    Fits.Cca cca = Fits.cca(s, 0.3, 2.0);

    // the ridge is relative to the mean variance: Aᵀ (Cxx + 0.3 τx I) A ≈ I and Bᵀ (Cyy + 2 τy I) B ≈ I
    assertThat(maxAbsDiff(cca.a().transpose().mmul(ridged(s.cxx(true), 0.3)).mmul(cca.a()), Nd4j.eye(DX)))
        .isLessThan(1e-3);
    INDArray b = cca.b();
    assertThat(maxAbsDiff(b.transpose().mmul(ridged(s.cyy(true), 2.0)).mmul(b), Nd4j.eye(b.columns())))
        .isLessThan(1e-3);
    assertThat(cca.map(DX, 1).variant()).isEqualTo(new Variant.Cca(0.3, DX, 1, 2.0));
    // a ridge that differs from the text side's changes the image side
    assertThat(maxAbsDiff(b, Fits.cca(s, 0.3).b())).isGreaterThan(1e-3);
  }

  private static INDArray ridged(INDArray c, double r) {
    double mean = 0;
    for (int i = 0; i < c.rows(); i++) {
      mean += c.getDouble(i, i) / c.rows();
    }
    return c.add(Nd4j.eye(c.rows()).castTo(c.dataType()).mul(r * mean));
  }

  @Test
  void theMappedPairShouldRetrieveItsPartner() {
    float[][][] p = pairs(400, 8);
    SufficientStats s = SufficientStats.of(p[0], p[1]);
    float[][][] held = pairs(50, 9);
    int[] own = new int[50];
    for (int i = 0; i < 50; i++) {
      own[i] = i;
    }

    // exact linear relation: least squares and CCA find it; an orthogonal map only approximates it
    java.util.Map<LinearMap, Double> floor = java.util.Map.of(
        Fits.leastSquares(s, 1e-4, true, Fits.Direction.T2I), 95.0,
        Fits.cca(s, 1e-4).map(DX, 1), 95.0,
        Fits.procrustesPad(s, true), 70.0);
    floor.forEach((m, min) -> {
      Recall.Result r = Recall.evaluate(m, Linalg.matrix(held[0]), own, Linalg.matrix(held[1]), null, null);
      assertThat(r.t2iR1()).as(m.label()).isGreaterThan(min);
      assertThat(r.i2tR1()).as(m.label()).isGreaterThan(min);
    });
  }
}
