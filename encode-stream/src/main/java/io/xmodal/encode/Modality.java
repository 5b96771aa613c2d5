package io.xmodal.encode;

import io.xmodal.schemas.Embedding;

/**
 * What differs between encoding images and captions: the id, what the encoder takes, which session encodes it, and
 * what the embedding carries. {@link #prepare} may throw {@link io.xmodal.encoders.EncodingException} for one record;
 * that record is refused and the rest of its batch goes on.
 *
 * @param <V> the event type
 * @param <I> what the encoder takes (text, decoded image)
 */
interface Modality<V, I> {

  /** "images" or "captions": names stores, nodes and metrics. */
  String kind();

  /** Records a task encodes together once they wait ({@link EncodeConfig#batchSize}, {@link EncodeConfig#textBatchSize}). */
  int batchSize(EncodeConfig config);

  /** What the encoder takes, from one event; may run on a {@link PreparePool} thread (it must not touch state). */
  I prepare(V event);

  /** Whether {@link #prepare} is worth a hand-over to another thread (decoding an image is; passing text on is not). */
  boolean prepareOffThread();

  /** The encoder: its identity, how a task opens a session, how its unused models are released. */
  EncodeModels.Model<I> encoder();

  /** The embedding of {@code event}, without vector and time (the processor sets them). */
  Embedding.Builder describe(V event);
}
