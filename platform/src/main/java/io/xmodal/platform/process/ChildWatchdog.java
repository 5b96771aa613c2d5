package io.xmodal.platform.process;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Entry point of every child JVM the launcher starts: {@code ChildWatchdog <main class> <args…>}.
 *
 * <p>It ties the child's life to its parent: the parent holds the child's stdin open and never writes to it, so
 * end-of-file on stdin means the parent is gone (stopped, crashed or killed) and the child exits cleanly (its
 * shutdown hooks run). It also ignores SIGINT, so Ctrl-C in a terminal, which reaches the whole process group,
 * leaves the order of shutdown to the parent: streams first, then registry and broker.
 *
 * <p>SIGTERM is left to the parent too while the parent runs. A signal sent to the whole process group
 * ({@code kill -- -PGID}) or to every process of a cgroup (systemd's default {@code KillMode=control-group}) reaches
 * the parent and its children at once; had the broker stopped then, the services would have waited for it in their
 * own stop and exited a minute later with a timeout. So a child that gets SIGTERM while its stdin is still open
 * waits for the parent to stop it, and stops on its own only after {@value #TERM_GRACE_DEFAULT_MS} ms
 * (system property {@value #TERM_GRACE_PROPERTY}) or at a second SIGTERM.
 */
public final class ChildWatchdog {

  /** How long a child waits, after SIGTERM, for its parent to stop it (milliseconds). */
  public static final String TERM_GRACE_PROPERTY = "xmodal.child.term-grace-ms";
  static final long TERM_GRACE_DEFAULT_MS = 60_000;

  private static final CountDownLatch PARENT_GONE = new CountDownLatch(1);
  private static volatile boolean supervised;

  private ChildWatchdog() {}

  /** Whether this JVM is a child started through the watchdog, which handles SIGTERM itself. */
  static boolean supervised() {
    return supervised;
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      throw new IllegalArgumentException("usage: ChildWatchdog <main class> [args…]");
    }
    supervised = true;
    ignoreInterrupt();
    deferTerm();
    Thread watcher = new Thread(ChildWatchdog::exitWhenParentGoes, "parent-watchdog");
    watcher.setDaemon(true);
    watcher.start();
    Method main = Class.forName(args[0]).getMethod("main", String[].class);
    main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
  }

  private static void exitWhenParentGoes() {
    InputStream in = System.in;
    byte[] buffer = new byte[256];
    try {
      while (in.read(buffer) >= 0) {
        // the parent never writes; anything read is ignored
      }
    } catch (IOException e) {
      // a broken pipe means the same as end-of-file
    }
    PARENT_GONE.countDown();
    System.err.println("xmodal child: parent process gone, shutting down");
    // the stop first, then the shutdown hooks (ONNX Runtime's frees its native environment)
    GracefulStop.runAllAndExit(0);
  }

  @SuppressWarnings("sunapi")
  private static void deferTerm() {
    long grace = Long.getLong(TERM_GRACE_PROPERTY, TERM_GRACE_DEFAULT_MS);
    AtomicBoolean signalled = new AtomicBoolean();
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> {
        if (PARENT_GONE.getCount() == 0) {
          return; // already stopping: the parent is gone
        }
        if (!signalled.compareAndSet(false, true)) {
          stopOnItsOwn("SIGTERM again");
          return;
        }
        System.err.printf("xmodal child: SIGTERM while the parent process (pid %s) runs; it stops its children in "
            + "order (streams, then registry, then broker). Stopping on its own in %d s if it has not, or at a second "
            + "SIGTERM%n", ProcessHandle.current().parent().map(h -> Long.toString(h.pid())).orElse("?"),
            grace / 1000);
        Thread wait = new Thread(() -> {
          try {
            if (!PARENT_GONE.await(grace, TimeUnit.MILLISECONDS)) {
              stopOnItsOwn("the parent did not stop it within " + grace / 1000 + " s of SIGTERM");
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }, "sigterm-grace");
        wait.setDaemon(true);
        wait.start();
      });
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      // not on this platform, or -Xrs: SIGTERM then stops the child directly (its shutdown hooks run)
    }
  }

  private static void stopOnItsOwn(String why) {
    Thread t = new Thread(() -> {
      System.err.println("xmodal child: " + why + ", shutting down");
      GracefulStop.runAllAndExit(128 + 15);
    }, "sigterm-stop");
    t.setDaemon(true);
    t.start();
  }

  @SuppressWarnings("sunapi")
  private static void ignoreInterrupt() {
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("INT"), sun.misc.SignalHandler.SIG_IGN);
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      // not on this platform: Ctrl-C then stops the child directly, which is still clean
    }
  }
}
