package io.xmodal.encoders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.List;
import org.junit.jupiter.api.Test;

class CombinationTest {

  @Test
  void shouldGiveEachBlockTheSameWeightWhateverItsScaleAndDimension() {
    float[][] a = {{3, 4}, {0, 2}};          // norms 5 and 2
    float[][] b = {{1, 0, 0, 0}, {0, 0, 10, 0}};

    float[][] joined = Combination.L2_CONCAT_L2.combine(new float[][][] {a, b});

    double r = 1 / Math.sqrt(2);
    assertThat(joined[0]).containsExactly(new float[] {(float) (0.6 * r), (float) (0.8 * r), (float) r, 0, 0, 0},
        offset(1e-6f));
    assertThat(joined[1]).containsExactly(new float[] {0, (float) r, 0, 0, (float) r, 0}, offset(1e-6f));
    for (float[] row : joined) {
      double n = 0;
      for (float x : row) {
        n += x * x;
      }
      assertThat(n).isCloseTo(1.0, offset(1e-6));
    }
  }

  @Test
  void shouldRefuseBlocksOfDifferentBatchSizes() {
    assertThatThrownBy(() -> Combination.L2_CONCAT_L2.combine(new float[][][] {{{1}}, {{1}, {2}}}))
        .hasMessageContaining("batch size");
  }

  @Test
  void shouldGiveACompositeAnIdentityThatChangesWithAnyBlockTheirOrderOrTheRule() {
    EncoderInfo minilm = new EncoderInfo("all-MiniLM-L6-v2", "1", 384, "aa");
    EncoderInfo bge = new EncoderInfo("bge-small-en-v1.5", "2", 384, "bb");
    EncoderInfo bgeOther = new EncoderInfo("bge-small-en-v1.5", "2", 384, "cc");

    EncoderInfo c = EncoderInfo.composite(List.of(minilm, bge), Combination.L2_CONCAT_L2);

    assertThat(c.name()).isEqualTo("all-MiniLM-L6-v2+bge-small-en-v1.5[l2-concat-l2]");
    assertThat(c.version()).isEqualTo("1+2");
    assertThat(c.dimension()).isEqualTo(768);
    assertThat(c.checksum()).hasSize(64);
    assertThat(c.blocks()).containsExactly(minilm, bge);
    assertThat(c.combination()).isEqualTo("l2-concat-l2");
    assertThat(c.isComposite()).isTrue();
    assertThat(EncoderInfo.composite(List.of(minilm, bgeOther), Combination.L2_CONCAT_L2).checksum())
        .isNotEqualTo(c.checksum());
    assertThat(EncoderInfo.composite(List.of(bge, minilm), Combination.L2_CONCAT_L2).checksum())
        .isNotEqualTo(c.checksum());
    assertThatThrownBy(() -> EncoderInfo.composite(List.of(minilm), Combination.L2_CONCAT_L2))
        .hasMessageContaining("two blocks");
  }
}
