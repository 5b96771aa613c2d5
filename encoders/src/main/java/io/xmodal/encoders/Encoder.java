package io.xmodal.encoders;

import ai.djl.Device;
import java.util.List;

/**
 * An encoder of one modality, loaded once per process and shared by every thread; each thread encodes through its
 * own {@link #newSession() session}. Either one model ({@link io.xmodal.encoders.text.TextEncoder},
 * {@link io.xmodal.encoders.image.ImageEncoder}) or a {@link CompositeEncoder} of several.
 *
 * @param <I> what it encodes: a text, or a decoded upright RGB image
 */
public interface Encoder<I> extends AutoCloseable {

  /** Its identity, carried in every embedding: nothing compares vectors of different identities. */
  EncoderInfo info();

  /** Where its models run. */
  Device device();

  /** A predictor (or one per block) for the calling thread; close it when the thread is done. */
  EncoderSession<I> newSession();

  /**
   * Closes its models while no session is open (they load again with the next session, from the same files); returns
   * how many it closed. Sessions left idle close themselves and ask for this ({@link IdleSession}).
   */
  default int releaseIfUnused() {
    return 0;
  }

  /** The single-model encoders it is made of, in order (itself when it is one model). */
  default List<? extends Encoder<I>> blocks() {
    return List.of(this);
  }

  @Override
  void close();
}
