package io.xmodal.encode;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Threads that prepare records (decode and resize images) while the stream thread polls, buffers and encodes. A
 * record is handed over when it is buffered ({@link #submit}) and collected when its batch is encoded
 * ({@link #await}); whatever no pool thread has started by then the stream thread runs itself, so the stream thread
 * never idles while work waits in the queue, and with zero threads everything runs on the stream thread at flush time
 * (the behaviour before the pool).
 *
 * <p>One pool per topology, shared by its tasks. Its threads are daemons and end after a minute without work, so a
 * topology that is dropped leaves no thread behind (a topology has no close hook).
 */
final class PreparePool {

  private static final long IDLE_SECONDS = 60;

  private final ThreadPoolExecutor executor;

  private PreparePool(ThreadPoolExecutor executor) {
    this.executor = executor;
  }

  /** {@code threads} workers; 0 = none (every record is prepared on the stream thread when its batch is encoded). */
  static PreparePool of(int threads, String name) {
    if (threads < 0) {
      throw new IllegalArgumentException("threads must be 0 or more, got " + threads);
    }
    if (threads == 0) {
      return new PreparePool(null);
    }
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor executor = new ThreadPoolExecutor(threads, threads, IDLE_SECONDS, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, name + "-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    executor.allowCoreThreadTimeOut(true);
    return new PreparePool(executor);
  }

  /** The pool's size when none is configured: every core but one (the stream thread's), at least one. */
  static int defaultThreads() {
    return Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
  }

  int threads() {
    return executor == null ? 0 : executor.getCorePoolSize();
  }

  /** Starts preparing {@code work} (or only queues it, with no threads). */
  <I> FutureTask<I> submit(Callable<I> work) {
    FutureTask<I> task = new FutureTask<>(work);
    if (executor != null) {
      executor.execute(task);
    }
    return task;
  }

  /**
   * The prepared input: runs the work here if no pool thread has started it, waits if one has. A failure of the
   * work comes out as it was thrown (unchecked).
   */
  static <I> I await(FutureTask<I> task) {
    task.run(); // a no-op once started or done elsewhere
    try {
      return task.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a record to be prepared", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  /** Forgets a queued task (its record was replaced or deleted); a running one finishes and is dropped. */
  static void discard(Future<?> task) {
    task.cancel(false);
  }
}
