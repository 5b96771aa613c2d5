package io.xmodal.trainer;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The background thread fits run on: one per fit task, a daemon, lowest priority (the stream threads come first).
 * The fit processor that asks for one owns it and shuts it down when its task closes.
 */
public final class FitExecutors {

  private FitExecutors() {}

  public static ExecutorService create() {
    return Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "mapping-trainer-fit");
      t.setDaemon(true);
      t.setPriority(Thread.MIN_PRIORITY);
      return t;
    });
  }
}
