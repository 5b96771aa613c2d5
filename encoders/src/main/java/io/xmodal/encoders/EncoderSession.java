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
  // side by side: lanes.get(w).get(b) is call thread w's one-model session of block b
  private final SideBySide<I> sideBySide;
  private Runnable whenClosed;

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
    this.sideBySide = null;
  }

  private EncoderSession(List<EncoderSession<I>> parts, Combination combination, SideBySide<I> sideBySide) {
    this.predictor = null;
    this.arrays = null;
    this.parts = List.copyOf(parts);
    this.combination = combination;
    this.length = null;
    this.chunk = 0;
    this.sideBySide = sideBySide;
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
    return new EncoderSession<>(parts, combination, null);
  }

  /**
   * A session that runs a batch's model calls side by side on {@code lanes.size()} threads (the caller's and
   * {@code lanes.size() - 1} of its own): {@code lanes.get(w).get(b)} is thread w's one-model session of block b, and
   * every block's calls (its chunks) go into one queue that the threads drain, the costliest first; the blocks' vectors
   * are joined by {@code combination}, or taken as they are when there is one block ({@code combination} null). Owns
   * the lanes' sessions and its threads.
   */
  static <I> EncoderSession<I> sideBySide(List<List<EncoderSession<I>>> lanes, Combination combination) {
    List<EncoderSession<I>> all = lanes.stream().flatMap(List::stream).toList();
    return new EncoderSession<>(all, combination, new SideBySide<>(lanes));
  }

  /** Runs {@code hook} once this session is closed (an encoder counting its open sessions); returns this session. */
  public EncoderSession<I> whenClosed(Runnable hook) {
    this.whenClosed = hook;
    return this;
  }

  // the order in which this one-model session runs a batch's inputs: by length where it sorts, else as given
  Integer[] order(List<I> inputs) {
    Integer[] order = new Integer[inputs.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    if (length != null) {
      Arrays.sort(order, Comparator.comparingInt(i -> length.applyAsInt(inputs.get(i))));
    }
    return order;
  }

  // how many inputs this one-model session puts in one model call, for a batch of n
  int callSize(int n) {
    return chunk > 0 ? Math.min(chunk, n) : n;
  }

  // the weight of one input in a call's cost estimate: its length where this session sorts by length, else 1
  int weight(I input) {
    return length == null ? 1 : Math.max(1, length.applyAsInt(input));
  }

  /** One vector per input, in order. */
  public float[][] encode(List<I> inputs) {
    if (inputs.isEmpty()) {
      return new float[0][];
    }
    if (sideBySide != null) {
      float[][][] blocks = sideBySide.encode(inputs);
      return combination == null ? blocks[0] : combination.combine(blocks);
    }
    if (predictor == null) {
      float[][][] blocks = new float[parts.size()][][];
      for (int b = 0; b < blocks.length; b++) {
        blocks[b] = parts.get(b).encode(inputs);
      }
      return combination.combine(blocks);
    }
    if (chunk > 0 && inputs.size() > chunk) {
      Integer[] order = order(inputs);
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

  float[][] predict(List<I> inputs) {
    try {
      return predictor.predict(inputs.toArray(arrays.apply(inputs.size())));
    } catch (TranslateException e) {
      throw new EncodingException("encoding a batch of " + inputs.size() + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    try {
      if (predictor != null) {
        predictor.close();
      }
      if (sideBySide != null) {
        sideBySide.close();
      }
      parts.forEach(EncoderSession::close);
    } finally {
      if (whenClosed != null) {
        Runnable hook = whenClosed;
        whenClosed = null;
        hook.run();
      }
    }
  }
}
