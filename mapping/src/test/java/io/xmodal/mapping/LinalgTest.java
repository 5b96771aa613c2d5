package io.xmodal.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LinalgTest {

  static INDArray random(int rows, int cols, long seed) {
    Random r = new Random(seed);
    double[][] m = new double[rows][cols];
    for (double[] row : m) {
      for (int j = 0; j < cols; j++) {
        row[j] = r.nextGaussian();
      }
    }
    return Nd4j.create(m).castTo(DataType.DOUBLE);
  }

  @Test
  void shouldFactorWideAndTallMatricesIntoThinOrthonormalFactorsThatRebuildThem() {
    for (int[] shape : new int[][] {{5, 9}, {9, 5}, {6, 6}}) {
      INDArray m = random(shape[0], shape[1], shape[0] * 31L + shape[1]);
      int k = Math.min(shape[0], shape[1]);

      Linalg.Svd svd = Linalg.thinSvd(m);

      assertThat(svd.u().shape()).containsExactly(shape[0], k);
      assertThat(svd.vt().shape()).containsExactly(k, shape[1]);
      INDArray rebuilt = svd.u().mulRowVector(svd.s().reshape(1, k)).mmul(svd.vt());
      assertThat(rebuilt.sub(m).amaxNumber().doubleValue()).isLessThan(1e-9);
      assertThat(svd.u().transpose().mmul(svd.u()).sub(Nd4j.eye(k).castTo(DataType.DOUBLE)).amaxNumber()
          .doubleValue()).isLessThan(1e-9);
      assertThat(svd.vt().mmul(svd.vt().transpose()).sub(Nd4j.eye(k).castTo(DataType.DOUBLE)).amaxNumber()
          .doubleValue()).isLessThan(1e-9);
      for (int j = 1; j < k; j++) {
        assertThat(svd.s().getDouble(j)).isLessThanOrEqualTo(svd.s().getDouble(j - 1));
      }
    }
  }

  static INDArray spd(int d, long seed) {
    INDArray a = random(d, d, seed);
    return a.mmul(a.transpose()).add(Nd4j.eye(d).castTo(DataType.DOUBLE));
  }

  static double maxAbs(INDArray m) {
    return m.amaxNumber().doubleValue();
  }

  @Test
  void shouldSolveASymmetricPositiveDefiniteSystemWithoutAnInverse() {
    INDArray a = spd(40, 3);
    INDArray b = random(40, 7, 4);

    INDArray x = Linalg.spdSolve(a, b);

    assertThat(maxAbs(a.mmul(x).sub(b))).isLessThan(1e-9);
    assertThat(maxAbs(Linalg.spdSolve(a, b.transpose().transpose()).sub(x))).isLessThan(1e-12);
  }

  @Test
  void shouldSolveWithTheCholeskyFactorFromEitherSide() {
    INDArray c = spd(30, 5);
    INDArray l = Linalg.choleskyLower(c);
    INDArray lower = l.dup();
    for (int i = 0; i < 30; i++) {
      for (int j = i + 1; j < 30; j++) {
        lower.putScalar(i, j, 0.0);
      }
    }
    assertThat(maxAbs(lower.mmul(lower.transpose()).sub(c))).isLessThan(1e-9);
    INDArray b = random(30, 6, 6);
    INDArray left = random(8, 30, 7);

    assertThat(maxAbs(lower.mmul(Linalg.solveLower(l, b, false)).sub(b))).isLessThan(1e-9);
    assertThat(maxAbs(lower.transpose().mmul(Linalg.solveLower(l, b, true)).sub(b))).isLessThan(1e-9);
    assertThat(maxAbs(Linalg.solveLowerTransposedRight(left, l).mmul(lower.transpose()).sub(left))).isLessThan(1e-9);
  }

  @Test
  void shouldRefuseAMatrixThatIsNotPositiveDefinite() {
    INDArray c = spd(10, 8).neg();

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Linalg.choleskyLower(c))
        .isInstanceOf(ArithmeticException.class).hasMessageContaining("ridge");
  }

  @Test
  void shouldFindTheLargestEigenpairsOnly() {
    INDArray s = spd(25, 9);

    Linalg.Eigen top = Linalg.topEigen(s, 4);

    assertThat(top.vectors().shape()).containsExactly(25, 4);
    for (int j = 0; j < 4; j++) {
      INDArray v = top.vectors().getColumn(j).reshape(25, 1);
      assertThat(maxAbs(s.mmul(v).sub(v.mul(top.values().getDouble(j))))).isLessThan(1e-9);
      if (j > 0) {
        assertThat(top.values().getDouble(j)).isLessThanOrEqualTo(top.values().getDouble(j - 1));
      }
    }
    // the largest: no eigenvalue of the full problem exceeds the first, and the fourth is the fourth largest
    Linalg.Eigen all = Linalg.topEigen(s, 25);
    assertThat(all.values().getDouble(0)).isCloseTo(top.values().getDouble(0), org.assertj.core.api.Assertions.within(1e-9));
    assertThat(all.values().getDouble(3)).isCloseTo(top.values().getDouble(3), org.assertj.core.api.Assertions.within(1e-9));
  }
}
