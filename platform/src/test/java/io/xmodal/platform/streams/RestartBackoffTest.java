package io.xmodal.platform.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RestartBackoffTest {

  private final AtomicLong now = new AtomicLong();
  private final RestartBackoff backoff = new RestartBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30),
      Duration.ofMinutes(1), now::get);

  @Test
  void shouldDoubleTheWaitUpToTheCapWhileTheThreadKeepsDying() {
    // Given a thread that dies 3 s after each replacement (a dependency that stays down)
    List<Long> waits = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Duration wait = backoff.next();
      waits.add(wait.toSeconds());
      now.addAndGet(wait.plusSeconds(3).toNanos());
    }

    // Then the waits double and stay at the cap: one restart per ~30 s, not a busy loop
    assertThat(waits).containsExactly(1L, 2L, 4L, 8L, 16L, 30L, 30L, 30L);
  }

  @Test
  void shouldStartAgainFromTheInitialWaitAfterAQuietMinute() {
    backoff.next();
    now.addAndGet(Duration.ofSeconds(2).toNanos());
    assertThat(backoff.next()).isEqualTo(Duration.ofSeconds(2));

    // When the replacement then runs for more than a minute before it dies
    now.addAndGet(Duration.ofSeconds(2 + 61).toNanos());

    assertThat(backoff.next()).isEqualTo(Duration.ofSeconds(1));
  }
}
