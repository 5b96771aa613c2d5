package io.xmodal.encoders;

import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import java.util.List;

/**
 * One thread's handle on an encoder: a DJL {@link Predictor}, which is not thread-safe. Create one per stream thread
 * (in a processor's {@code init}) and close it with the processor.
 */
public final class EncoderSession<I> implements AutoCloseable {

  private final Predictor<I[], float[][]> predictor;
  private final java.util.function.IntFunction<I[]> arrays;

  public EncoderSession(Predictor<I[], float[][]> predictor, java.util.function.IntFunction<I[]> arrays) {
    this.predictor = predictor;
    this.arrays = arrays;
  }

  /** One vector per input, in order. */
  public float[][] encode(List<I> inputs) {
    if (inputs.isEmpty()) {
      return new float[0][];
    }
    try {
      return predictor.predict(inputs.toArray(arrays.apply(inputs.size())));
    } catch (TranslateException e) {
      throw new EncodingException("encoding a batch of " + inputs.size() + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    predictor.close();
  }
}
