package io.xmodal.query;

import java.nio.ByteBuffer;

/** Copies out of the Avro {@code bytes} fields of queries. */
final class Buffers {

  private Buffers() {}

  /** The bytes of a buffer, without moving its position. */
  static byte[] bytes(ByteBuffer b) {
    ByteBuffer d = b.duplicate();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return out;
  }
}
