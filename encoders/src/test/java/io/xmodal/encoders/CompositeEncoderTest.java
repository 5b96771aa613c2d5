package io.xmodal.encoders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import io.xmodal.device.DeviceChoice;
import io.xmodal.encoders.text.TextEncoder;
import io.xmodal.encoders.text.TextEncoderTest;
import io.xmodal.encoders.text.TextModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompositeEncoderTest {

  static final List<String> TEXTS = List.of("A dog runs through the snow .", "Two children play on a beach .",
      "A man in a red jacket climbs a rock wall .");

  @Test
  void shouldEncodeWithEveryBlockAndJoinTheirVectorsByItsRule(@TempDir Path cache) {
    TextEncoder minilm = TextEncoder.load(TextModel.MINILM_L6_V2, cache, DeviceChoice.CPU, 256, 1);
    TextEncoder bge = TextEncoder.load(TextModel.BGE_SMALL_EN_V15, cache, DeviceChoice.CPU, 256, 1);
    float[][] a;
    float[][] b;
    try (EncoderSession<String> sa = minilm.newSession(); EncoderSession<String> sb = bge.newSession()) {
      a = sa.encode(TEXTS);
      b = sb.encode(TEXTS);
    }

    float[][] joined;
    try (CompositeEncoder<String> composite = new CompositeEncoder<>(List.of(minilm, bge), Combination.L2_CONCAT_L2);
         EncoderSession<String> session = composite.newSession()) {
      joined = session.encode(TEXTS);

      assertThat(composite.info().name()).isEqualTo("all-MiniLM-L6-v2+bge-small-en-v1.5[l2-concat-l2]");
      assertThat(composite.info().dimension()).isEqualTo(768);
      assertThat(composite.info().blocks()).containsExactly(minilm.info(), bge.info());
      assertThat(composite.blocks()).containsExactly(minilm, bge);
    }

    float[][] expected = Combination.L2_CONCAT_L2.combine(new float[][][] {a, b});
    assertThat(joined).hasNumberOfRows(3);
    for (int i = 0; i < TEXTS.size(); i++) {
      assertThat(joined[i]).hasSize(768).containsExactly(expected[i], offset(1e-6f));
    }
    // the two models really differ: a composite is not one model twice
    assertThat(TextEncoderTest.cosine(a[0], b[0])).isLessThan(0.9);
  }

  @Test
  void shouldRunABatchsCallsSideBySideAndReturnTheSameVectorsAsOneCallAfterAnother(@TempDir Path cache) {
    TextEncoder minilm = TextEncoder.load(TextModel.MINILM_L6_V2, cache, DeviceChoice.CPU, 256, 1);
    TextEncoder bge = TextEncoder.load(TextModel.BGE_SMALL_EN_V15, cache, DeviceChoice.CPU, 256, 1);
    List<String> batch = new ArrayList<>();
    for (int i = 0; i < 19; i++) {
      // lengths that differ, so each block sorts the batch and cuts it into several calls of 8
      batch.add(TEXTS.get(i % 3) + "and then ".repeat(i % 5) + "it stops .");
    }
    float[][] one;
    // composites own their blocks: the blocks are closed once, at the end
    CompositeEncoder<String> sequential = new CompositeEncoder<>(List.of(minilm, bge), Combination.L2_CONCAT_L2);
    try (EncoderSession<String> session = sequential.newSession()) {
      one = session.encode(batch);
    }
    CompositeEncoder<String> twoAtOnce = new CompositeEncoder<>(List.of(minilm, bge), Combination.L2_CONCAT_L2, 2);
    float[][] side;
    float[][] minilmAlone;
    try (EncoderSession<String> session = twoAtOnce.newSession();
         EncoderSession<String> block = twoAtOnce.newSession(0);
         EncoderSession<String> plain = minilm.newSession()) {
      side = session.encode(batch);
      // a second batch through the same session (its threads and cost estimates carried over) is still right
      assertThat(session.encode(batch.subList(3, 12))[0]).containsExactly(one[3], offset(1e-6f));
      minilmAlone = block.encode(batch);
      assertThat(minilmAlone[18]).containsExactly(plain.encode(List.of(batch.get(18)))[0], offset(1e-5f));
    }

    assertThat(twoAtOnce.calls()).isEqualTo(2);
    assertThat(twoAtOnce.info()).isEqualTo(sequential.info());
    for (int i = 0; i < batch.size(); i++) {
      assertThat(side[i]).as("input %d", i).containsExactly(one[i], offset(1e-6f));
    }
    // one model with two calls at once keeps that model's identity and vectors
    CompositeEncoder<String> single = new CompositeEncoder<>(List.of(minilm), Combination.L2_CONCAT_L2, 2);
    assertThat(single.info()).isEqualTo(minilm.info());
    try (EncoderSession<String> session = single.newSession()) {
      float[][] vectors = session.encode(batch);
      for (int i = 0; i < batch.size(); i++) {
        assertThat(vectors[i]).containsExactly(minilmAlone[i], offset(1e-6f));
      }
    }
    sequential.close();
  }
}
