package io.xmodal.query;

import java.nio.ByteBuffer;

/** Copies out of the Avro {@code bytes} fields of queries. */
public final class Buffers {

  private Buffers() {}

  /** The bytes of a buffer, without moving its position. */
  public static byte[] bytes(ByteBuffer b) {
    ByteBuffer d = b.duplicate();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return out;
  }
}
