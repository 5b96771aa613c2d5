package io.xmodal.schemas;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * The one place a vector changes form between an {@link Embedding} event and a {@code float[]}. xmodal writes
 * {@code packedVector} (float32 little-endian, no boxing) and leaves {@code vector} empty; events written before
 * carry {@code vector} (an Avro float array) and are read alike.
 */
public final class EmbeddingVectors {

  private EmbeddingVectors() {}

  /** The event's vector. */
  public static float[] of(Embedding e) {
    ByteBuffer packed = e.getPackedVector();
    if (packed != null) {
      return unpacked(packed);
    }
    List<Float> list = e.getVector();
    float[] v = new float[list.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = list.get(i);
    }
    return v;
  }

  /** Sets {@code v} as the builder's vector, packed. */
  public static Embedding.Builder set(Embedding.Builder b, float[] v) {
    return b.setPackedVector(packed(v)).setVector(List.of());
  }

  /** A vector as float32 little-endian, 4 bytes per dimension: how xmodal's records carry vectors. */
  public static ByteBuffer packed(float[] v) {
    ByteBuffer packed = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    packed.asFloatBuffer().put(v);
    return packed;
  }

  /** The vector of {@link #packed} bytes (from the buffer's position to its limit). */
  public static float[] unpacked(ByteBuffer packed) {
    FloatBuffer floats = packed.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    float[] v = new float[floats.remaining()];
    floats.get(v);
    return v;
  }
}
