package io.xmodal.encoders;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A batch's model calls run side by side: every block's calls (its chunks of the batch) go into one list, costliest
 * first, and the lanes' threads (the caller's and one of its own per further lane) take them in turn, each through its
 * own one-model sessions. On a CPU, two single-threaded calls at once keep both cores busy through the models' serial
 * stretches (small operators, a short call's start and end), which one call on two intra-op threads does not.
 *
 * @param <I> what it encodes
 */
final class SideBySide<I> implements AutoCloseable {

  private final List<List<EncoderSession<I>>> lanes;
  private final ExecutorService threads;
  // each block's measured nanoseconds per unit of input weight, 0 until measured: orders a batch's calls
  private final double[] nanosPerWeight;

  /** @param lanes {@code lanes.get(w).get(b)}: lane w's one-model session of block b; at least two lanes */
  SideBySide(List<List<EncoderSession<I>>> lanes) {
    if (lanes.size() < 2) {
      throw new IllegalArgumentException("side by side needs at least two lanes, got " + lanes.size());
    }
    int blocks = lanes.get(0).size();
    for (List<EncoderSession<I>> lane : lanes) {
      if (lane.size() != blocks || blocks == 0) {
        throw new IllegalArgumentException("every lane needs one session per block (" + blocks + ")");
      }
    }
    this.lanes = lanes.stream().map(List::copyOf).toList();
    this.nanosPerWeight = new double[blocks];
    AtomicInteger named = new AtomicInteger();
    this.threads = Executors.newFixedThreadPool(lanes.size() - 1, r -> {
      Thread t = new Thread(r, "xmodal-encoder-call-" + named.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** One model call: inputs {@code order[from..to)} of the batch through block {@code block}. */
  private static final class Call {
    final int block;
    final Integer[] order;
    final int from;
    final int to;
    final long weight;
    long nanos;

    Call(int block, Integer[] order, int from, int to, long weight) {
      this.block = block;
      this.order = order;
      this.from = from;
      this.to = to;
      this.weight = weight;
    }
  }

  /** Each block's vectors of {@code inputs}, in order: {@code [block][input]}. */
  float[][][] encode(List<I> inputs) {
    int blocks = nanosPerWeight.length;
    float[][][] out = new float[blocks][inputs.size()][];
    List<Call> calls = new ArrayList<>();
    for (int b = 0; b < blocks; b++) {
      EncoderSession<I> model = lanes.get(0).get(b);
      Integer[] order = model.order(inputs);
      int size = model.callSize(inputs.size());
      for (int from = 0; from < order.length; from += size) {
        int to = Math.min(order.length, from + size);
        long weight = 0;
        for (int j = from; j < to; j++) {
          weight += model.weight(inputs.get(order[j]));
        }
        calls.add(new Call(b, order, from, to, weight));
      }
    }
    // the longest first, so that the calls left when a lane runs dry are short ones
    calls.sort(Comparator.comparingDouble((Call c) -> -c.weight * Math.max(nanosPerWeight[c.block], 1.0)));
    AtomicInteger next = new AtomicInteger();
    List<Future<?>> helpers = new ArrayList<>();
    for (int w = 1; w < lanes.size(); w++) {
      int lane = w;
      helpers.add(threads.submit(() -> drain(lane, calls, next, inputs, out)));
    }
    Throwable failure = null;
    try {
      drain(0, calls, next, inputs, out);
    } catch (Throwable e) {
      failure = e;
    }
    failure = awaitHelpers(helpers, failure);
    if (failure instanceof Error error) {
      throw error;
    }
    if (failure != null) {
      throw failure instanceof RuntimeException r ? r
          : new EncodingException("a model call failed: " + failure, failure);
    }
    learn(calls);
    return out;
  }

  // waits for every helper, whatever failed (none may still use a session when encode returns); the first failure
  private static Throwable awaitHelpers(List<Future<?>> helpers, Throwable failure) {
    boolean interrupted = false;
    for (Future<?> f : helpers) {
      while (true) {
        try {
          f.get();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          failure = failure == null ? e.getCause() : failure;
          break;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return failure;
  }

  // takes calls until none is left; a failed call ends every lane's taking (the batch fails as a whole)
  private void drain(int lane, List<Call> calls, AtomicInteger next, List<I> inputs, float[][][] out) {
    try {
      drainCalls(lane, calls, next, inputs, out);
    } catch (Throwable e) {
      next.set(calls.size());
      throw e;
    }
  }

  private void drainCalls(int lane, List<Call> calls, AtomicInteger next, List<I> inputs, float[][][] out) {
    for (int i = next.getAndIncrement(); i < calls.size(); i = next.getAndIncrement()) {
      Call c = calls.get(i);
      List<I> part = new ArrayList<>(c.to - c.from);
      for (int j = c.from; j < c.to; j++) {
        part.add(inputs.get(c.order[j]));
      }
      long start = System.nanoTime();
      float[][] vectors = lanes.get(lane).get(c.block).predict(part);
      c.nanos = System.nanoTime() - start;
      for (int j = c.from; j < c.to; j++) {
        out[c.block][c.order[j]] = vectors[j - c.from];
      }
    }
  }

  // each block's cost per unit of weight, a moving average over batches
  private void learn(List<Call> calls) {
    long[] nanos = new long[nanosPerWeight.length];
    long[] weights = new long[nanosPerWeight.length];
    for (Call c : calls) {
      nanos[c.block] += c.nanos;
      weights[c.block] += c.weight;
    }
    for (int b = 0; b < nanosPerWeight.length; b++) {
      if (weights[b] > 0) {
        double rate = (double) nanos[b] / weights[b];
        nanosPerWeight[b] = nanosPerWeight[b] == 0 ? rate : 0.8 * nanosPerWeight[b] + 0.2 * rate;
      }
    }
  }

  @Override
  public void close() {
    threads.shutdownNow();
  }
}
