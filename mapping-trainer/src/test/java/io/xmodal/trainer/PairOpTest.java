package io.xmodal.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xmodal.schemas.EncoderBlock;
import io.xmodal.schemas.EncoderIdentity;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class PairOpTest {

  private static final EncoderIdentity TEXT = EncoderIdentity.newBuilder().setName("a+b[l2-concat-l2]")
      .setVersion("1").setDimension(3).setChecksum("c0ffee")
      .setBlocks(List.of(block("a", 1), block("b", 2))).setCombination("l2-concat-l2").build();
  private static final EncoderIdentity IMAGE = EncoderIdentity.newBuilder().setName("resnet50").setVersion("2")
      .setDimension(2).setChecksum("beef").build();

  @Test
  void shouldWriteAPairAsItsAvroRecordAndReadItBack() {
    PairOp pair = new PairOp("c1", "i1", true, TEXT, IMAGE, new float[] {0.5f, -1f, 3f}, new float[] {2f, 0.25f});

    byte[] bytes = PairOp.toBytes(pair);
    PairOp back = PairOp.fromBytes(bytes);

    assertThat(bytes[0]).isEqualTo((byte) 3);
    assertSame(back, pair);
    assertThat(PairOp.serde().deserializer().deserialize("t", PairOp.serde().serializer().serialize("t", pair)))
        .satisfies(p -> assertSame(p, pair));
  }

  @Test
  void shouldStillReadThePairsAStoreHeldBeforeTheSchemaFormats1And2() throws IOException {
    PairOp composite = new PairOp("c2", "i2", false, TEXT, IMAGE, new float[] {1f, 2f, 3f}, new float[] {4f, 5f});
    PairOp single = new PairOp("c3", "i3", true, IMAGE, IMAGE, new float[] {7f, 8f}, new float[] {9f, 10f});

    assertSame(PairOp.fromBytes(handWritten(composite, 2)), composite);
    assertSame(PairOp.fromBytes(handWritten(single, 1)), single);
    assertThatThrownBy(() -> PairOp.fromBytes(new byte[] {9, 0})).hasMessageContaining("unknown PairOp format 9");
  }

  // the bytes the trainer wrote before the Avro schema: a format byte, then DataOutputStream fields
  private static byte[] handWritten(PairOp p, int version) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(version);
      out.writeUTF(p.captionId());
      out.writeUTF(p.imageId());
      out.writeBoolean(p.heldOut());
      identity(out, p.textEncoder(), version);
      identity(out, p.imageEncoder(), version);
      floats(out, p.text());
      floats(out, p.image());
    }
    return bytes.toByteArray();
  }

  private static void identity(DataOutputStream out, EncoderIdentity e, int version) throws IOException {
    out.writeUTF(e.getName());
    out.writeUTF(e.getVersion());
    out.writeInt(e.getDimension());
    out.writeUTF(e.getChecksum());
    if (version >= 2) {
      List<EncoderBlock> blocks = e.getBlocks() == null ? List.of() : e.getBlocks();
      out.writeInt(blocks.size());
      for (EncoderBlock b : blocks) {
        out.writeUTF(b.getName());
        out.writeUTF(b.getVersion());
        out.writeInt(b.getDimension());
        out.writeUTF(b.getChecksum());
      }
      out.writeUTF(e.getCombination());
    }
  }

  private static void floats(DataOutputStream out, float[] v) throws IOException {
    out.writeInt(v.length);
    for (float f : v) {
      out.writeFloat(f);
    }
  }

  private static void assertSame(PairOp actual, PairOp expected) {
    assertThat(actual.captionId()).isEqualTo(expected.captionId());
    assertThat(actual.imageId()).isEqualTo(expected.imageId());
    assertThat(actual.heldOut()).isEqualTo(expected.heldOut());
    assertThat(actual.textEncoder()).isEqualTo(expected.textEncoder());
    assertThat(actual.imageEncoder()).isEqualTo(expected.imageEncoder());
    assertThat(actual.text()).containsExactly(expected.text());
    assertThat(actual.image()).containsExactly(expected.image());
  }

  private static EncoderBlock block(String name, int dim) {
    return EncoderBlock.newBuilder().setName(name).setVersion("v").setDimension(dim).setChecksum(name + "sum").build();
  }
}
