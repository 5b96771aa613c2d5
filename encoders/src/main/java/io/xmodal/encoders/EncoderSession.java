package io.xmodal.encoders;

import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import java.util.List;

/**
 * One thread's handle on an encoder: a DJL {@link Predictor}, which is not thread-safe (or, for a composite encoder,
 * one session per block and the rule that joins their vectors). Create one per stream thread (in a processor's
 * {@code init}) and close it with the processor.
 */
public final class EncoderSession<I> implements AutoCloseable {

  private final Predictor<I[], float[][]> predictor;
  private final java.util.function.IntFunction<I[]> arrays;
  private final List<EncoderSession<I>> parts;
  private final Combination combination;

  public EncoderSession(Predictor<I[], float[][]> predictor, java.util.function.IntFunction<I[]> arrays) {
    this.predictor = predictor;
    this.arrays = arrays;
    this.parts = List.of();
    this.combination = null;
  }

  private EncoderSession(List<EncoderSession<I>> parts, Combination combination) {
    this.predictor = null;
    this.arrays = null;
    this.parts = List.copyOf(parts);
    this.combination = combination;
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
