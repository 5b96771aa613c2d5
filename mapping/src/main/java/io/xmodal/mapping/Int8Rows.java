package io.xmodal.mapping;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A float matrix stored as one signed byte per value and one float scale per row: {@code v ≈ q · scale}, with
 * {@code scale = max|row| / 127}. The hubness references travel in a MappingModel this way (a quarter of float32, so
 * four times as many fit in a record), and the library scores with the same rounded values a reader decodes
 * ({@link #roundTrip}), so the recall a version is chosen by is the recall query-stream serves.
 *
 * <p>Layout, little-endian: the row scales ({@code rows} float32), then the values row by row ({@code rows × cols}
 * int8).
 */
public final class Int8Rows {

  private Int8Rows() {}

  /** The bytes of {@code m} (rows×cols) in this layout. */
  public static byte[] encode(INDArray m) {
    float[][] rows = m.castTo(DataType.FLOAT).toFloatMatrix();
    int r = rows.length;
    int c = r == 0 ? 0 : rows[0].length;
    ByteBuffer b = ByteBuffer.allocate(r * 4 + r * c).order(ByteOrder.LITTLE_ENDIAN);
    float[] scales = new float[r];
    for (int i = 0; i < r; i++) {
      scales[i] = scale(rows[i]);
      b.putFloat(scales[i]);
    }
    for (int i = 0; i < r; i++) {
      for (float v : rows[i]) {
        b.put(quantize(v, scales[i]));
      }
    }
    return b.array();
  }

  /** The matrix {@link #encode} wrote, as floats ({@code q · scale}). */
  public static INDArray decode(ByteBuffer bytes, int rows, int cols) {
    ByteBuffer b = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    if (b.remaining() != (long) rows * 4 + (long) rows * cols) {
      throw new IllegalArgumentException("an int8 matrix of " + rows + "×" + cols + " needs "
          + ((long) rows * 4 + (long) rows * cols) + " bytes, got " + b.remaining());
    }
    float[] scales = new float[rows];
    for (int i = 0; i < rows; i++) {
      scales[i] = b.getFloat();
    }
    float[] out = new float[rows * cols];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        out[i * cols + j] = b.get() * scales[i];
      }
    }
    return Nd4j.create(out, new long[] {rows, cols}, DataType.FLOAT);
  }

  /**
   * {@code m} as a reader of its {@link #encode encoding} sees it: the same rounding and the same products as encoding
   * and decoding, without the bytes in between.
   */
  public static INDArray roundTrip(INDArray m) {
    int rows = (int) m.rows();
    int cols = (int) m.columns();
    float[] values = Linalg.rowMajorFloats(m);
    IntStream.range(0, rows).parallel().forEach(i -> {
      float max = 0f;
      for (int j = i * cols; j < (i + 1) * cols; j++) {
        max = Math.max(max, Math.abs(values[j]));
      }
      float scale = max == 0f ? 1f : max / 127f;
      for (int j = i * cols; j < (i + 1) * cols; j++) {
        values[j] = quantize(values[j], scale) * scale;
      }
    });
    return Nd4j.create(values, new long[] {rows, cols}, DataType.FLOAT);
  }

  private static float scale(float[] row) {
    float max = 0f;
    for (float v : row) {
      max = Math.max(max, Math.abs(v));
    }
    return max == 0f ? 1f : max / 127f; // a row with a NaN or an infinity decodes as NaN: a broken map stays broken
  }

  private static byte quantize(float v, float scale) {
    return (byte) Math.max(-127, Math.min(127, Math.round(v / scale)));
  }
}
