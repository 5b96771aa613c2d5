package io.xmodal.encoders.onnx;

import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.ZooModel;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loaded model that can be released while no session uses it and is loaded again (from the same file, with the
 * same options) by the next session: an idle encoder then holds none of ONNX Runtime's weights and arena. Release is
 * asked for ({@link #releaseIfUnused()}), never implied by a session closing, so that a rebalance, which closes one
 * task's sessions before the next task opens its own, does not load the model again.
 *
 * @param <I> the model's input
 * @param <O> the model's output
 */
public final class OnDemand<I, O> implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(OnDemand.class);

  /** Loads the model. */
  @FunctionalInterface
  public interface Loader<I, O> {
    ZooModel<I, O> load() throws IOException, MalformedModelException;
  }

  private final String name;
  private final Loader<I, O> loader;
  private ZooModel<I, O> model;
  private int open;
  private boolean closed;

  /** {@code loader} has just loaded {@code loaded}; it loads the model again after a release. */
  public OnDemand(String name, ZooModel<I, O> loaded, Loader<I, O> loader) {
    this.name = name;
    this.model = loaded;
    this.loader = loader;
  }

  /** A predictor for a new session, the model loaded again if it was released; {@link #returned()} when it closes. */
  public synchronized Predictor<I, O> predictor() {
    if (closed) {
      throw new IllegalStateException(name + " is closed");
    }
    if (model == null) {
      long t0 = System.nanoTime();
      try {
        model = loader.load();
      } catch (IOException | MalformedModelException | RuntimeException e) {
        throw new IllegalStateException("cannot load " + name + " again: " + e.getMessage(), e);
      }
      LOG.info("{}: loaded again in {} ms", name, (System.nanoTime() - t0) / 1_000_000);
    }
    Predictor<I, O> predictor = model.newPredictor();
    open++;
    return predictor;
  }

  /** A session's predictor was closed. */
  public synchronized void returned() {
    open = Math.max(0, open - 1);
  }

  /** Closes the model if no session uses it; true if it did. */
  public synchronized boolean releaseIfUnused() {
    if (open > 0 || model == null) {
      return false;
    }
    model.close();
    model = null;
    return true;
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (model != null) {
      model.close();
      model = null;
    }
  }
}
