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

  @Test
  void shouldInvertALowerTriangularMatrix() {
    INDArray a = random(40, 40, 3);
    INDArray spd = a.mmul(a.transpose()).add(Nd4j.eye(40).castTo(DataType.DOUBLE));
    INDArray lower = Linalg.cholesky(spd);

    INDArray inv = Linalg.lowerInverse(lower);

    assertThat(inv.mmul(lower).sub(Nd4j.eye(40).castTo(DataType.DOUBLE)).amaxNumber().doubleValue())
        .isLessThan(1e-9);
    assertThat(Linalg.spdInverse(spd).mmul(spd).sub(Nd4j.eye(40).castTo(DataType.DOUBLE)).amaxNumber()
        .doubleValue()).isLessThan(1e-8);
  }
}
