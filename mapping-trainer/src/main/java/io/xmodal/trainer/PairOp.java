package io.xmodal.trainer;

import io.xmodal.mapping.refit.TrainingPair;
import io.xmodal.schemas.EncoderBlock;
import io.xmodal.schemas.EncoderIdentity;
import io.xmodal.schemas.EncoderKeys;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The current pairing of one caption with its image: both vectors as the encoders produced them, which encoders,
 * and whether the image is held out. A newer PairOp for the same caption replaces the older one.
 */
record PairOp(String captionId, String imageId, boolean heldOut, EncoderIdentity textEncoder,
              EncoderIdentity imageEncoder, float[] text, float[] image) {

  /** The statistics this pair belongs to: one set per (text encoder, image encoder). */
  String encodersKey() {
    return EncoderKeys.of(textEncoder) + "+" + EncoderKeys.of(imageEncoder);
  }


  /** The pair as the refit library keeps it. */
  TrainingPair asTrainingPair() {
    return new TrainingPair(captionId, imageId, heldOut, text, image);
  }

  /** An explicit binary serde for the internal repartition topic and the pairs store. */
  static Serde<PairOp> serde() {
    Serializer<PairOp> ser = (topic, p) -> p == null ? null : toBytes(p);
    Deserializer<PairOp> de = (topic, b) -> b == null ? null : fromBytes(b);
    return Serdes.serdeFrom(ser, de);
  }

  /** 2: the encoder identities carry a composite's blocks and rule; 1 (before composites) is still read. */
  private static final int VERSION = 2;

  static byte[] toBytes(PairOp p) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + 4 * (p.text.length + p.image.length));
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(VERSION);
      out.writeUTF(p.captionId);
      out.writeUTF(p.imageId);
      out.writeBoolean(p.heldOut);
      write(out, p.textEncoder);
      write(out, p.imageEncoder);
      write(out, p.text);
      write(out, p.image);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static PairOp fromBytes(byte[] b) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
      int version = in.readByte();
      if (version != 1 && version != VERSION) {
        throw new IllegalStateException("unknown PairOp format " + version);
      }
      return new PairOp(in.readUTF(), in.readUTF(), in.readBoolean(), readIdentity(in, version),
          readIdentity(in, version), readFloats(in), readFloats(in));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void write(DataOutputStream out, EncoderIdentity e) throws IOException {
    out.writeUTF(e.getName());
    out.writeUTF(e.getVersion());
    out.writeInt(e.getDimension());
    out.writeUTF(e.getChecksum());
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

  private static EncoderIdentity readIdentity(DataInputStream in, int version) throws IOException {
    EncoderIdentity.Builder b = EncoderIdentity.newBuilder().setName(in.readUTF()).setVersion(in.readUTF())
        .setDimension(in.readInt()).setChecksum(in.readUTF());
    if (version >= 2) {
      int n = in.readInt();
      List<EncoderBlock> blocks = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        blocks.add(EncoderBlock.newBuilder().setName(in.readUTF()).setVersion(in.readUTF())
            .setDimension(in.readInt()).setChecksum(in.readUTF()).build());
      }
      b.setBlocks(blocks.isEmpty() ? null : blocks).setCombination(in.readUTF());
    }
    return b.build();
  }

  private static void write(DataOutputStream out, float[] v) throws IOException {
    out.writeInt(v.length);
    for (float f : v) {
      out.writeFloat(f);
    }
  }

  private static float[] readFloats(DataInputStream in) throws IOException {
    float[] v = new float[in.readInt()];
    for (int i = 0; i < v.length; i++) {
      v[i] = in.readFloat();
    }
    return v;
  }
}
