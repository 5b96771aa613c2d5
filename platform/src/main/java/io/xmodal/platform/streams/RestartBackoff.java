package io.xmodal.platform.streams;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * How long a failed stream thread waits before it is replaced: {@code initial}, doubling at every death up to
 * {@code cap}; back to {@code initial} once a replacement has run for {@code quiet} without dying. A dependency that
 * stays down therefore costs one restart per {@code cap}, not a busy loop.
 */
final class RestartBackoff {

  private final long initial;
  private final long cap;
  private final long quiet;
  private final LongSupplier clock;
  private long current;
  private long restartedAt = Long.MIN_VALUE;

  RestartBackoff(Duration initial, Duration cap, Duration quiet, LongSupplier nanoClock) {
    this.initial = initial.toNanos();
    this.cap = cap.toNanos();
    this.quiet = quiet.toNanos();
    this.clock = nanoClock;
  }

  /** 1 s doubling to 30 s; reset after a minute without a death. */
  static RestartBackoff standard() {
    return new RestartBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofMinutes(1), System::nanoTime);
  }

  /** The wait before the next replacement; call once per death. */
  synchronized Duration next() {
    long now = clock.getAsLong();
    if (restartedAt == Long.MIN_VALUE || now - restartedAt >= quiet) {
      current = initial;
    } else {
      current = Math.min(current * 2, cap);
    }
    restartedAt = now + current;
    return Duration.ofNanos(current);
  }
}
