package io.xmodal.encoders;

import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.ToIntFunction;

/**
 * One thread's handle on an encoder: a DJL {@link Predictor}, which is not thread-safe (or, for a composite encoder,
 * one session per block and the rule that joins their vectors). Create one per stream thread (in a processor's
 * {@code init}) and close it with the processor.
 */
public final class EncoderSession<I> implements AutoCloseable {

  private final Predictor<I[], float[][]> predictor;
  private final IntFunction<I[]> arrays;
  private final List<EncoderSession<I>> parts;
  private final Combination combination;
  private final ToIntFunction<I> length;
  private final int chunk;

  /** A session that runs each batch through the model in one call. */
  public EncoderSession(Predictor<I[], float[][]> predictor, IntFunction<I[]> arrays) {
    this(predictor, arrays, null, 0);
  }

  private EncoderSession(Predictor<I[], float[][]> predictor, IntFunction<I[]> arrays,
                         ToIntFunction<I> length, int chunk) {
    this.predictor = predictor;
    this.arrays = arrays;
    this.parts = List.of();
    this.combination = null;
    this.length = length;
    this.chunk = chunk;
  }

  private EncoderSession(List<EncoderSession<I>> parts, Combination combination) {
    this.predictor = null;
    this.arrays = null;
    this.parts = List.copyOf(parts);
    this.combination = combination;
    this.length = null;
    this.chunk = 0;
  }

  /**
   * A session for a model whose inputs are padded to the longest of their batch (a transformer's tokens): each batch
   * is sorted by {@code length} and run in calls of {@code chunk} inputs of similar length, so that short inputs are
   * not padded to a long one's length; the vectors come back in the batch's order. With masked attention and pooling
   * the padding does not change a vector beyond float rounding, only its cost.
   */
  public static <I> EncoderSession<I> lengthSorted(Predictor<I[], float[][]> predictor,
                                                   IntFunction<I[]> arrays,
                                                   ToIntFunction<I> length, int chunk) {
    return new EncoderSession<>(predictor, arrays, checked(length), checkedChunk(chunk));
  }

  /**
   * A session that runs each batch through the model in calls of at most {@code chunk} inputs, in order: a model's
   * runtime keeps the memory its largest call needed (ONNX Runtime's arena), so smaller calls bound what a session
   * holds; for a CNN, whose cost per image does not fall with the batch beyond a few, at the same speed.
   */
  public static <I> EncoderSession<I> chunked(Predictor<I[], float[][]> predictor, IntFunction<I[]> arrays,
                                              int chunk) {
    return new EncoderSession<>(predictor, arrays, null, checkedChunk(chunk));
  }

  private static <I> ToIntFunction<I> checked(ToIntFunction<I> length) {
    if (length == null) {
      throw new IllegalArgumentException("length must not be null");
    }
    return length;
  }

  private static int checkedChunk(int chunk) {
    if (chunk < 1) {
      throw new IllegalArgumentException("chunk must be at least 1, got " + chunk);
    }
    return chunk;
  }

  /** A session that encodes with every part and joins their vectors by {@code combination}; owns the parts. */
  static <I> EncoderSession<I> composite(List<EncoderSession<I>> parts, Combination combination) {
    return new EncoderSession<>(parts, combination);
  }

  /** One vector per input, in order. */
  public float[][] encode(List<I> inputs) {
    if (inputs.isEmpty()) {
      return new float[0][];
    }
    if (predictor == null) {
      float[][][] blocks = new float[parts.size()][][];
      for (int b = 0; b < blocks.length; b++) {
        blocks[b] = parts.get(b).encode(inputs);
      }
      return combination.combine(blocks);
    }
    if (chunk > 0 && inputs.size() > chunk) {
      Integer[] order = new Integer[inputs.size()];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      if (length != null) {
        Arrays.sort(order, Comparator.comparingInt(i -> length.applyAsInt(inputs.get(i))));
      }
      float[][] out = new float[order.length][];
      for (int from = 0; from < order.length; from += chunk) {
        int to = Math.min(order.length, from + chunk);
        List<I> part = new ArrayList<>(to - from);
        for (int j = from; j < to; j++) {
          part.add(inputs.get(order[j]));
        }
        float[][] vectors = predict(part);
        for (int j = from; j < to; j++) {
          out[order[j]] = vectors[j - from];
        }
      }
      return out;
    }
    return predict(inputs);
  }

  private float[][] predict(List<I> inputs) {
    try {
      return predictor.predict(inputs.toArray(arrays.apply(inputs.size())));
    } catch (TranslateException e) {
      throw new EncodingException("encoding a batch of " + inputs.size() + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    if (predictor != null) {
      predictor.close();
    }
    parts.forEach(EncoderSession::close);
  }
}
