package io.xmodal.encoders.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** ONNX {@code TensorProto} initializers (dims = 1, data_type = 2, name = 8, raw_data = 9, little-endian). */
public final class OnnxTensors {

  public static final int FLOAT = 1;
  public static final int INT64 = 7;

  private OnnxTensors() {}

  public static Protobuf.Message floatTensor(String name, long[] dims, float[] values) {
    ByteBuffer raw = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      raw.putFloat(v);
    }
    return tensor(name, dims, FLOAT, raw.array());
  }

  public static Protobuf.Message int64Tensor(String name, long[] dims, long[] values) {
    ByteBuffer raw = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      raw.putLong(v);
    }
    return tensor(name, dims, INT64, raw.array());
  }

  private static Protobuf.Message tensor(String name, long[] dims, int type, byte[] raw) {
    Protobuf.Message t = new Protobuf.Message();
    for (long d : dims) {
      t.varint(1, d);
    }
    return t.varint(2, type).string(8, name).bytes(9, raw);
  }
}
