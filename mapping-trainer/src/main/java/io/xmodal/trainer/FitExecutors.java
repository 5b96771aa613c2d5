package io.xmodal.trainer;

import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** The background thread fits run on: one per fit task, a daemon, lowest priority (the stream threads come first). */
public final class FitExecutors {

  private FitExecutors() {}

  public static Executor create() {
    ExecutorService pool = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "mapping-trainer-fit");
      t.setDaemon(true);
      t.setPriority(Thread.MIN_PRIORITY);
      return t;
    });
    return pool;
  }
}
