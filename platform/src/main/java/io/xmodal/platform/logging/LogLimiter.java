package io.xmodal.platform.logging;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.event.Level;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * Keeps a repeated log line from flooding the log: per key (a logger and a reason), the first {@code perWindow} lines
 * of each window are written, the rest are counted, and the next line written after the window has passed is
 * preceded by one line "suppressed K similar lines in the last …". The dead-letter topic and the metrics carry
 * every record; the log only has to say that something is happening and what.
 *
 * <p>Thread-safe; one instance is shared by the handlers of a service (it is passed in, not a global).
 */
public final class LogLimiter {

  /** What one call may do. */
  public record Permit(boolean write, long suppressedBefore) {
    static final Permit DENIED = new Permit(false, 0);
  }

  private final int perWindow;
  private final long windowNanos;
  private final LongSupplier clock;
  private final Map<String, Window> windows = new ConcurrentHashMap<>();

  private static final class Window {
    long start;
    int written;
    long suppressed;
  }

  /** The first 5 lines per minute per key. */
  public static LogLimiter standard() {
    return new LogLimiter(5, Duration.ofMinutes(1), System::nanoTime);
  }

  public LogLimiter(int perWindow, Duration window, LongSupplier nanoClock) {
    if (perWindow < 1 || window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("perWindow must be ≥ 1 and window positive");
    }
    this.perWindow = perWindow;
    this.windowNanos = window.toNanos();
    this.clock = nanoClock;
  }

  /** Whether a line under {@code key} may be written now, and how many were suppressed before it. */
  public Permit acquire(String key) {
    long now = clock.getAsLong();
    Window w = windows.computeIfAbsent(key, k -> {
      Window fresh = new Window();
      fresh.start = now;
      return fresh;
    });
    synchronized (w) {
      long carried = 0;
      if (now - w.start >= windowNanos) {
        carried = w.suppressed;
        w.start = now;
        w.written = 0;
        w.suppressed = 0;
      }
      if (w.written < perWindow) {
        w.written++;
        return new Permit(true, carried);
      }
      w.suppressed++;
      return Permit.DENIED;
    }
  }

  /**
   * Logs {@code format} with {@code args} at {@code level} if the key's budget allows (a trailing Throwable argument
   * prints its stack trace, as in SLF4J); else counts it.
   */
  public void log(Logger logger, Level level, String reason, String format, Object... args) {
    if (!logger.isEnabledForLevel(level)) {
      return;
    }
    Permit permit = acquire(logger.getName() + "|" + reason);
    if (!permit.write()) {
      return;
    }
    if (permit.suppressedBefore() > 0) {
      logger.atLevel(level).log("suppressed {} similar lines ({}) in the last {}", permit.suppressedBefore(), reason,
          describe(windowNanos));
    }
    LoggingEventBuilder line = logger.atLevel(level);
    int n = args.length;
    if (n > 0 && args[n - 1] instanceof Throwable cause) {
      line = line.setCause(cause);
      n--;
    }
    for (int i = 0; i < n; i++) {
      line = line.addArgument(args[i]);
    }
    line.log(format);
  }

  private static String describe(long nanos) {
    Duration d = Duration.ofNanos(nanos);
    return d.equals(Duration.ofMinutes(1)) ? "minute" : d.toSeconds() + " s";
  }
}
