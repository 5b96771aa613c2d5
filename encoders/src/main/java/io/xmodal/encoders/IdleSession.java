package io.xmodal.encoders;

import io.xmodal.device.NativeHeap;
import java.time.Duration;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The encoder session a stream processor holds: opened at once, closed once it has run no call for {@code idle} (asked
 * from the processor's punctuation, {@link #closeIfIdle()}), and opened again by the next batch. Closing it asks the
 * encoder to release its models where no other session uses them ({@link Encoder#releaseIfUnused()}), so a service
 * that has nothing to encode holds none of ONNX Runtime's weights and arenas; the next batch loads them again first.
 * Not thread-safe: one per processor, used on its stream thread.
 *
 * @param <I> what it encodes
 */
public final class IdleSession<I> implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(IdleSession.class);

  private final String what;
  private final Supplier<EncoderSession<I>> sessions;
  private final IntSupplier release;
  private final Duration idle;
  private EncoderSession<I> session;
  private long lastUse;

  /**
   * @param what     what it encodes, for the log ("task 0_1 images")
   * @param sessions opens a session
   * @param release  releases the encoder's unused models, returning how many ({@link Encoder#releaseIfUnused()})
   * @param idle     how long without a call before the session closes; zero or negative: never
   */
  public IdleSession(String what, Supplier<EncoderSession<I>> sessions, IntSupplier release, Duration idle) {
    this.what = what;
    this.sessions = sessions;
    this.release = release;
    this.idle = idle;
    this.session = sessions.get();
    this.lastUse = System.nanoTime();
  }

  /** One vector per input, in order; the session opened again first if it was closed. */
  public float[][] encode(List<I> inputs) {
    if (session == null) {
      session = sessions.get();
    }
    try {
      return session.encode(inputs);
    } finally {
      lastUse = System.nanoTime();
    }
  }

  /** Whether a session is open now. */
  public boolean isOpen() {
    return session != null;
  }

  /** Closes the session if it has run no call for the idle time; true if it closed it now. */
  public boolean closeIfIdle() {
    if (session == null || idle.isZero() || idle.isNegative() || System.nanoTime() - lastUse < idle.toNanos()) {
      return false;
    }
    session.close();
    session = null;
    int released = release.getAsInt();
    if (released > 0) {
      NativeHeap.trim("releasing the models of " + what);
      LOG.info("{}: nothing to encode for {} s: session closed, {} model(s) released until the next batch", what,
          idle.toSeconds(), released);
    } else {
      LOG.debug("{}: nothing to encode for {} s: session closed (its models are still in use)", what,
          idle.toSeconds());
    }
    return true;
  }

  @Override
  public void close() {
    if (session != null) {
      session.close();
      session = null;
    }
  }
}
