package io.xmodal.client.publish;

import java.io.PrintStream;

/**
 * A progress line for long work: redrawn in place on a terminal, one line every few seconds otherwise (logs, CI).
 */
public final class Progress {

  private static final long PLAIN_EVERY_NANOS = 5_000_000_000L;
  private static final long TTY_EVERY_NANOS = 200_000_000L;

  private final String label;
  private final long total;
  private final PrintStream out;
  private final boolean tty;
  private final long start = System.nanoTime();
  private long done;
  private long lastPrint;

  public Progress(String label, long total, PrintStream out) {
    this.label = label;
    this.total = total;
    this.out = out;
    this.tty = System.console() != null;
  }

  public synchronized void advance(long n) {
    done += n;
    long now = System.nanoTime();
    if (now - lastPrint >= (tty ? TTY_EVERY_NANOS : PLAIN_EVERY_NANOS)) {
      lastPrint = now;
      print(false);
    }
  }

  public synchronized void set(long value) {
    advance(value - done);
  }

  public synchronized void finish() {
    print(true);
  }

  public double seconds() {
    return (System.nanoTime() - start) / 1e9;
  }

  private void print(boolean last) {
    double s = seconds();
    double rate = s > 0 ? done / s : 0;
    String line = String.format("%s: %d/%d (%.0f%%), %.0f/s, %.1f s", label, done, total,
        total == 0 ? 100.0 : 100.0 * done / total, rate, s);
    if (tty) {
      out.print("\r" + line + (last ? "\n" : ""));
    } else {
      out.println(line);
    }
    out.flush();
  }
}
