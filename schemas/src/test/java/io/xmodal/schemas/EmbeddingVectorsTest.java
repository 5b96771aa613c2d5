package io.xmodal.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class EmbeddingVectorsTest {

  private static Embedding.Builder embedding() {
    return Embedding.newBuilder().setId("i").setModality(Modality.IMAGE).setCreatedAt(Instant.EPOCH)
        .setEncoderInfo(EncoderIdentity.newBuilder().setName("n").setVersion("v").setDimension(3).setChecksum("c")
            .build());
  }

  @Test
  void shouldWritePackedFloat32AndReadItBackExactly() throws Exception {
    AvroTrust.trustXmodalSchemas();
    float[] v = {0.25f, -1.5f, Float.MIN_VALUE, 3.4028235e38f};

    Embedding written = EmbeddingVectors.set(embedding(), v).build();
    Embedding decoded = Embedding.fromByteBuffer(written.toByteBuffer());

    assertThat(decoded.getVector()).isEmpty();
    assertThat(decoded.getPackedVector().remaining()).isEqualTo(16);
    assertThat(decoded.getPackedVector().get(0)).as("little-endian: the low byte of 0.25f first").isZero();
    assertThat(EmbeddingVectors.of(decoded)).containsExactly(v);
  }

  @Test
  void shouldReadAnEventWrittenBeforeTheVectorWasPacked() {
    Embedding old = embedding().setVector(List.of(1f, 2f, 3f)).build();

    assertThat(EmbeddingVectors.of(old)).containsExactly(1f, 2f, 3f);
  }
}
