package io.xmodal.platform.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * Entry point of every child JVM the launcher starts: {@code ChildWatchdog <main class> <args…>}.
 *
 * <p>It ties the child's life to its parent: the parent holds the child's stdin open and never writes to it, so
 * end-of-file on stdin means the parent is gone (stopped, crashed or killed) and the child exits cleanly (its
 * shutdown hooks run). It also ignores SIGINT, so Ctrl-C in a terminal, which reaches the whole process group,
 * leaves the order of shutdown to the parent: streams first, then registry and broker.
 */
public final class ChildWatchdog {

  private ChildWatchdog() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      throw new IllegalArgumentException("usage: ChildWatchdog <main class> [args…]");
    }
    ignoreInterrupt();
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
    System.err.println("xmodal child: parent process gone, shutting down");
    // the stop first, then the shutdown hooks (ONNX Runtime's frees its native environment)
    GracefulStop.runAll();
    System.exit(0);
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
