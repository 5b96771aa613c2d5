package io.xmodal.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class GmlpMapTest {

  private static final int DX = 6;
  private static final int K = 4;

  @Test
  void shouldAddTheMeanOfItsBlocksResidualsToTheProjectedText() {
    Random r = new Random(11);
    INDArray muX = Nd4j.rand(DataType.FLOAT, 1, DX);
    INDArray a = Nd4j.rand(DataType.FLOAT, DX, K).subi(0.5);
    List<GmlpMap.Block> blocks = List.of(GmlpMap.Block.random(K, 3, 0.5, r), GmlpMap.Block.random(K, 3, 0.5, r));
    GmlpMap map = new GmlpMap(new Variant.Opaque("t"), muX, Nd4j.zeros(DataType.FLOAT, 1, 2),
        a, Nd4j.rand(DataType.FLOAT, 2, K), blocks, HubnessCorrection.NONE);
    INDArray x = Nd4j.rand(DataType.FLOAT, 5, DX);

    INDArray z = x.subRowVector(muX).mmul(a);
    INDArray mean = blocks.get(0).apply(z).add(blocks.get(1).apply(z)).div(2);
    INDArray expected = LinearMap.normalizeRows(z.add(mean));

    assertThat(map.projectText(x).sub(expected).amaxNumber().doubleValue()).isLessThan(1e-5);
    // and not what either block alone gives
    for (GmlpMap.Block b : blocks) {
      INDArray alone = new GmlpMap(map.variant(), muX, map.muY(), a, map.b(), b, HubnessCorrection.NONE).projectText(x);
      assertThat(map.projectText(x).sub(alone).amaxNumber().doubleValue()).isGreaterThan(1e-3);
    }
  }

  @Test
  void shouldRefuseAMapWithoutABlock() {
    assertThatThrownBy(() -> new GmlpMap(new Variant.Opaque("t"), Nd4j.zeros(1, DX), Nd4j.zeros(1, 2),
        Nd4j.zeros(DX, K), Nd4j.zeros(2, K), List.of(), HubnessCorrection.NONE))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one block");
  }
}
