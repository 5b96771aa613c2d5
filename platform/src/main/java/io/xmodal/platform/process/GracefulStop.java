package io.xmodal.platform.process;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops a process's services before the JVM's shutdown hooks run.
 *
 * <p>ONNX Runtime registers a shutdown hook of its own that frees its native environment, and the JVM runs its hooks
 * concurrently. So on Ctrl-C or SIGTERM, that hook freed the environment while encode-stream's thread was still
 * inside a model: the JVM died with SIGSEGV (exit 134, an hs_err file in the working folder), and the stop was not
 * clean. Exactly-once then restored every store from its changelog at the next start. With this, SIGINT and SIGTERM
 * first run the stop (streams closed, then the models they held), then exit with 128 + the signal's number, so the
 * hooks only find closed sessions. While the stop runs, a second signal halts at once. A signal the process was
 * started ignoring (a background job's SIGINT) stays ignored. Every other way out (System.exit, the end of main)
 * still runs the stop from a shutdown hook, which waits for a stop already under way. A child JVM ({@link
 * ChildWatchdog}) leaves SIGTERM to its parent and runs the stop before it exits: when its parent is gone, or when
 * the parent has not stopped it within the grace after SIGTERM.
 */
public final class GracefulStop {

  private static final Logger LOG = LoggerFactory.getLogger(GracefulStop.class);

  // what this JVM installed, for a child JVM whose parent is gone (ChildWatchdog)
  private static final List<GracefulStop> INSTALLED = new CopyOnWriteArrayList<>();

  private final String name;
  private final FutureTask<Void> stop;
  private final AtomicBoolean signalled = new AtomicBoolean();

  private GracefulStop(String name, Runnable stop) {
    this.name = name;
    this.stop = new FutureTask<>(stop, null);
  }

  /** Runs {@code stop} once: on SIGINT or SIGTERM (then exits), or from a shutdown hook named {@code name}. */
  public static void install(String name, Runnable stop) {
    GracefulStop g = new GracefulStop(name, stop);
    INSTALLED.add(g);
    Runtime.getRuntime().addShutdownHook(new Thread(g::runAndWait, name));
    // a child JVM leaves SIGTERM to its parent while the parent runs (ChildWatchdog), then runs this stop itself
    for (String signal : ChildWatchdog.supervised() ? List.of("INT") : List.of("INT", "TERM")) {
      g.handle(signal);
    }
  }

  @SuppressWarnings("sunapi")
  private void handle(String signal) {
    try {
      sun.misc.Signal s = new sun.misc.Signal(signal);
      sun.misc.SignalHandler previous = sun.misc.Signal.handle(s, this::onSignal);
      if (previous == sun.misc.SignalHandler.SIG_IGN) {
        sun.misc.Signal.handle(s, sun.misc.SignalHandler.SIG_IGN);
      }
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      // not on this platform, or the JVM runs with -Xrs: the shutdown hook still stops
      LOG.debug("{}: SIG{} left to the JVM: {}", name, signal, e.getMessage());
    }
  }

  @SuppressWarnings("sunapi")
  private void onSignal(sun.misc.Signal signal) {
    int status = 128 + signal.getNumber();
    if (!signalled.compareAndSet(false, true)) {
      System.err.printf("%s: SIG%s again while stopping; stopping at once%n", name, signal.getName());
      Runtime.getRuntime().halt(status);
    }
    Thread t = new Thread(() -> {
      runAndWait();
      System.exit(status);
    }, name + "-on-signal");
    t.setDaemon(true);
    t.start();
  }

  /** Runs every stop installed in this JVM, waits for them, then exits with {@code status} (a child JVM's way out). */
  static void runAllAndExit(int status) {
    for (GracefulStop g : INSTALLED) {
      g.runAndWait();
    }
    System.exit(status);
  }

  private void runAndWait() {
    stop.run(); // a no-op when it has run or is running
    try {
      stop.get();
    } catch (ExecutionException e) {
      LOG.error("{}: stopping failed: {}", name, e.getCause().toString(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
