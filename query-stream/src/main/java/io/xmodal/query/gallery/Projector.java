package io.xmodal.query.gallery;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Where first projections of galleries are made, and how long a stream thread may wait for them: one per topology
 * (its galleries share it), made by the topology's builder, not one per JVM. Its thread, a daemon, starts with the
 * first projection and ends after a minute without one; projections queue behind each other, as they would compete
 * for the same cores anyway. The wait budget is kept per calling thread: every gallery a stream thread's tasks wait
 * for (directions, mappings, partitions) draws on one {@code wait}, renewed once the thread has not waited for
 * {@link #WAIT_WINDOW} (longer than any transaction), so the waits inside one transaction add up to at most one wait.
 */
public final class Projector {

  /** A thread that has not waited for this long starts its budget afresh: longer than a stream thread's transaction. */
  static final Duration WAIT_WINDOW = Duration.ofSeconds(10);

  private final ThreadPoolExecutor executor = new ThreadPoolExecutor(0, 1, 1, TimeUnit.MINUTES,
      new LinkedBlockingQueue<>(), r -> {
        Thread t = new Thread(r, "xmodal-gallery-projector");
        t.setDaemon(true);
        return t;
      });
  /** Per calling thread: when it last waited for a projection ({@link System#nanoTime()}), and how long in all since. */
  private final Map<Thread, long[]> waited = new ConcurrentHashMap<>();

  /** Runs {@code projection} on this projector's thread. */
  CompletableFuture<Boolean> submit(Supplier<Boolean> projection) {
    return CompletableFuture.supplyAsync(projection, executor);
  }

  /** Runs {@code task} on this projector's thread, behind what is queued (tests hold the thread with it). */
  public void execute(Runnable task) {
    executor.execute(task);
  }

  /** How long the calling thread may still wait, of {@code wait} in all (see the class comment). */
  long budget(long wait) {
    long[] w = mine();
    if (System.nanoTime() - w[0] > WAIT_WINDOW.toNanos()) {
      w[1] = 0;
    }
    return Math.max(0, wait - w[1]);
  }

  /** The calling thread has waited {@code nanos}. */
  void spend(long nanos) {
    long[] w = mine();
    w[0] = System.nanoTime();
    w[1] += nanos;
  }

  /** How long the calling thread has waited for projections since its budget began. */
  public long waitedNanos() {
    return mine()[1];
  }

  /** Forgets the calling thread's waits (tests, which run one topology after another on one thread). */
  public void resetWaitBudget() {
    waited.remove(Thread.currentThread());
  }

  private long[] mine() {
    long[] w = waited.get(Thread.currentThread());
    if (w == null) {
      // a replaced stream thread's entry goes when the next thread's is made (not inside computeIfAbsent, whose
      // function must not change the map)
      waited.keySet().removeIf(other -> !other.isAlive());
      w = new long[] {System.nanoTime() - 2 * WAIT_WINDOW.toNanos(), 0};
      waited.put(Thread.currentThread(), w);
    }
    return w;
  }
}
