package io.xmodal.query.sharded;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** A query vector as it travels to the shards: float32 little-endian bytes. */
final class ShardVectors {

  private ShardVectors() {}

  static ByteBuffer toBytes(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return b;
  }

  static float[] fromBytes(ByteBuffer bytes) {
    ByteBuffer b = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    float[] v = new float[b.remaining() / 4];
    b.asFloatBuffer().get(v);
    return v;
  }
}
