package io.xmodal.encoders.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The protobuf wire format, just enough for ONNX models without ONNX tooling: read a message as a list of fields kept
 * in their order, unknown ones included (so that what is not touched is written back byte for byte), write such a
 * list, or build a message field by field ({@link Message}).
 */
public final class Protobuf {

  public static final int VARINT = 0;
  public static final int FIXED64 = 1;
  public static final int BYTES = 2;
  public static final int FIXED32 = 5;

  /** One field: its number, wire type, and value (a varint or fixed number in {@code number}, else {@code bytes}). */
  public record Field(int number, int wireType, long value, byte[] bytes) {

    public static Field varint(int number, long value) {
      return new Field(number, VARINT, value, null);
    }

    public static Field bytes(int number, byte[] bytes) {
      return new Field(number, BYTES, 0, bytes);
    }

    public static Field string(int number, String s) {
      return bytes(number, s.getBytes(StandardCharsets.UTF_8));
    }

    public static Field message(int number, List<Field> fields) {
      return bytes(number, write(fields));
    }

    public String string() {
      return new String(bytes, StandardCharsets.UTF_8);
    }

    public List<Field> message() {
      return read(bytes);
    }
  }

  private Protobuf() {}

  public static List<Field> read(byte[] b) {
    List<Field> out = new ArrayList<>();
    int[] pos = {0};
    while (pos[0] < b.length) {
      long key = varint(b, pos);
      int number = (int) (key >>> 3);
      int type = (int) (key & 7);
      switch (type) {
        case VARINT -> out.add(new Field(number, type, varint(b, pos), null));
        case FIXED64 -> {
          out.add(new Field(number, type, ByteBuffer.wrap(b, pos[0], 8).order(ByteOrder.LITTLE_ENDIAN).getLong(),
              null));
          pos[0] += 8;
        }
        case FIXED32 -> {
          out.add(new Field(number, type,
              ByteBuffer.wrap(b, pos[0], 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL, null));
          pos[0] += 4;
        }
        case BYTES -> {
          int length = (int) varint(b, pos);
          if (length < 0 || pos[0] + length > b.length) {
            throw new IllegalArgumentException("not a protobuf message: a field of " + length + " bytes at "
                + pos[0] + " of " + b.length);
          }
          byte[] v = new byte[length];
          System.arraycopy(b, pos[0], v, 0, length);
          pos[0] += length;
          out.add(new Field(number, type, 0, v));
        }
        default -> throw new IllegalArgumentException("not a protobuf message: wire type " + type + " at " + pos[0]);
      }
    }
    return out;
  }

  public static byte[] write(List<Field> fields) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Field f : fields) {
      writeVarint(out, ((long) f.number() << 3) | f.wireType());
      switch (f.wireType()) {
        case VARINT -> writeVarint(out, f.value());
        case FIXED64 -> out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(f.value())
            .array());
        case FIXED32 -> out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
            .putInt((int) f.value()).array());
        case BYTES -> {
          writeVarint(out, f.bytes().length);
          out.writeBytes(f.bytes());
        }
        default -> throw new IllegalArgumentException("wire type " + f.wireType());
      }
    }
    return out.toByteArray();
  }

  /** The values of a repeated numeric field, packed (one BYTES field) or not (several VARINT fields). */
  public static long[] varints(List<Field> fields, int number) {
    List<Long> values = new ArrayList<>();
    for (Field f : fields) {
      if (f.number() != number) {
        continue;
      }
      if (f.wireType() == VARINT) {
        values.add(f.value());
      } else if (f.wireType() == BYTES) {
        int[] pos = {0};
        while (pos[0] < f.bytes().length) {
          values.add(varint(f.bytes(), pos));
        }
      }
    }
    return values.stream().mapToLong(Long::longValue).toArray();
  }

  /** The values of a repeated float field, packed or not. */
  public static float[] floats(List<Field> fields, int number) {
    List<Float> values = new ArrayList<>();
    for (Field f : fields) {
      if (f.number() != number) {
        continue;
      }
      if (f.wireType() == FIXED32) {
        values.add(Float.intBitsToFloat((int) f.value()));
      } else if (f.wireType() == BYTES) {
        ByteBuffer b = ByteBuffer.wrap(f.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        while (b.remaining() >= 4) {
          values.add(b.getFloat());
        }
      }
    }
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  private static long varint(byte[] b, int[] pos) {
    long result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos[0] >= b.length) {
        throw new IllegalArgumentException("not a protobuf message: a varint runs past the end");
      }
      byte c = b[pos[0]++];
      result |= (long) (c & 0x7f) << shift;
      if ((c & 0x80) == 0) {
        return result;
      }
    }
    throw new IllegalArgumentException("not a protobuf message: a varint longer than 10 bytes");
  }

  private static void writeVarint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7fL) != 0) {
      out.write((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  /** The position of the last field numbered {@code number} (protobuf's rule for a repeated singular field), or -1. */
  public static int lastIndexOf(List<Field> fields, int number) {
    int at = -1;
    for (int i = 0; i < fields.size(); i++) {
      if (fields.get(i).number() == number) {
        at = i;
      }
    }
    return at;
  }

  /** The first field numbered {@code number} as a UTF-8 string, or "" if there is none. */
  public static String string(List<Field> fields, int number) {
    for (Field f : fields) {
      if (f.number() == number) {
        return f.string();
      }
    }
    return "";
  }

  /** A message built field by field, in the order the fields are added. */
  public static final class Message {
    private final List<Field> fields = new ArrayList<>();

    public Message varint(int number, long value) {
      fields.add(Field.varint(number, value));
      return this;
    }

    public Message bytes(int number, byte[] value) {
      fields.add(Field.bytes(number, value));
      return this;
    }

    public Message string(int number, String value) {
      fields.add(Field.string(number, value));
      return this;
    }

    public Message message(int number, Message value) {
      return bytes(number, value.toBytes());
    }

    public byte[] toBytes() {
      return write(fields);
    }
  }
}
