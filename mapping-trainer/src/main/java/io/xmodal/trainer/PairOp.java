package io.xmodal.trainer;

import io.xmodal.mapping.refit.TrainingPair;
import io.xmodal.schemas.EncoderBlock;
import io.xmodal.schemas.EncoderIdentity;
import io.xmodal.schemas.EmbeddingVectors;
import io.xmodal.schemas.EncoderKeys;
import io.xmodal.schemas.TrainingPairOp;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
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

  /**
   * An explicit serde for the internal repartition topic and the pairs store: a format byte, then the pair as an Avro
   * {@link TrainingPairOp} (binary, the schema in xmodal-schemas). Formats 1 and 2, hand-written before the schema
   * existed, are still read, so a trainer's store from before the upgrade is read as it was.
   */
  static Serde<PairOp> serde() {
    Serializer<PairOp> ser = (topic, p) -> p == null ? null : toBytes(p);
    Deserializer<PairOp> de = (topic, b) -> b == null ? null : fromBytes(b);
    return Serdes.serdeFrom(ser, de);
  }

  /** 3: Avro; 2: hand-written with a composite's blocks; 1: hand-written, before composites. */
  private static final int AVRO = 3;
  private static final SpecificDatumWriter<TrainingPairOp> WRITER = new SpecificDatumWriter<>(TrainingPairOp.class);
  private static final SpecificDatumReader<TrainingPairOp> READER = new SpecificDatumReader<>(TrainingPairOp.class);

  static byte[] toBytes(PairOp p) {
    TrainingPairOp record = TrainingPairOp.newBuilder().setCaptionId(p.captionId).setImageId(p.imageId)
        .setHeldOut(p.heldOut).setTextEncoder(p.textEncoder).setImageEncoder(p.imageEncoder)
        .setText(EmbeddingVectors.packed(p.text)).setImage(EmbeddingVectors.packed(p.image)).build();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256 + 4 * (p.text.length + p.image.length));
    bytes.write(AVRO);
    try {
      BinaryEncoder out = EncoderFactory.get().directBinaryEncoder(bytes, null);
      WRITER.write(record, out);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static PairOp fromBytes(byte[] b) {
    int version = b.length == 0 ? -1 : b[0];
    try {
      if (version == AVRO) {
        TrainingPairOp r = READER.read(null, DecoderFactory.get().binaryDecoder(b, 1, b.length - 1, null));
        return new PairOp(r.getCaptionId(), r.getImageId(), r.getHeldOut(), r.getTextEncoder(), r.getImageEncoder(),
            EmbeddingVectors.unpacked(r.getText()), EmbeddingVectors.unpacked(r.getImage()));
      }
      if (version != 1 && version != 2) {
        throw new IllegalStateException("unknown PairOp format " + version);
      }
      try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b, 1, b.length - 1))) {
        return new PairOp(in.readUTF(), in.readUTF(), in.readBoolean(), readIdentity(in, version),
            readIdentity(in, version), readFloats(in), readFloats(in));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
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

  private static float[] readFloats(DataInputStream in) throws IOException {
    float[] v = new float[in.readInt()];
    for (int i = 0; i < v.length; i++) {
      v[i] = in.readFloat();
    }
    return v;
  }
}
