package io.xmodal.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class Int8RowsTest {

  @Test
  void shouldKeepEachValueWithinHalfAStepOfItsRowsScaleAndTakeAQuarterOfTheBytes() {
    // Given unit rows of very different ranges (one spread out, one nearly one-hot)
    INDArray m = Nd4j.create(new float[][] {{0.5f, -0.5f, 0.5f, -0.5f}, {0.999f, 0.01f, -0.02f, 0.03f}});

    byte[] bytes = Int8Rows.encode(m);
    INDArray back = Int8Rows.decode(ByteBuffer.wrap(bytes), 2, 4);

    assertThat(bytes).hasSize(2 * 4 + 2 * 4);
    // each row's step is its own max / 127, so the small values of the second row are not flattened by the first's
    assertThat(back.getRow(0).sub(m.getRow(0)).amaxNumber().doubleValue()).isLessThanOrEqualTo(0.5 / 127 / 2 + 1e-7);
    assertThat(back.getRow(1).sub(m.getRow(1)).amaxNumber().doubleValue()).isLessThanOrEqualTo(0.999 / 127 / 2 + 1e-7);
    // the largest value of a row comes back (to the last bit or so)
    assertThat(back.getFloat(1, 0)).isCloseTo(0.999f, org.assertj.core.data.Offset.offset(1e-6f));
    // rounding what was rounded once moves nothing by more than a bit
    assertThat(Int8Rows.roundTrip(back).sub(back).amaxNumber().doubleValue()).isLessThan(1e-6);
  }

  @Test
  void shouldKeepAZeroRowAndLetABrokenRowStayBroken() {
    INDArray m = Nd4j.create(new float[][] {{0f, 0f}, {Float.NaN, 1f}});

    INDArray back = Int8Rows.roundTrip(m);

    assertThat(back.getRow(0).amaxNumber().doubleValue()).isZero();
    assertThat(Float.isNaN(back.getFloat(1, 1))).as("a NaN map must not turn into a finite one").isTrue();
  }

  @Test
  void shouldRefuseBytesThatDoNotMatchTheShape() {
    byte[] bytes = Int8Rows.encode(Nd4j.rand(DataType.FLOAT, 3, 5));

    assertThatThrownBy(() -> Int8Rows.decode(ByteBuffer.wrap(bytes), 3, 6))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3×6");
  }
}
