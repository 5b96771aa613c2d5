package io.xmodal.platform.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

class LogLimiterTest {

  private final AtomicLong now = new AtomicLong();
  private final LogLimiter limiter = new LogLimiter(3, Duration.ofMinutes(1), now::get);

  @Test
  void shouldWriteTheFirstLinesOfAWindowAndCountTheRest() {
    // Given a budget of 3 lines per minute, when 10 lines of one kind come in the same minute
    int written = 0;
    for (int i = 0; i < 10; i++) {
      if (limiter.acquire("dlq|UNKNOWN_SCHEMA").write()) {
        written++;
      }
    }

    // Then 3 are written, and the first line of the next minute says how many were held back
    assertThat(written).isEqualTo(3);
    now.addAndGet(Duration.ofSeconds(61).toNanos());
    LogLimiter.Permit next = limiter.acquire("dlq|UNKNOWN_SCHEMA");
    assertThat(next.write()).isTrue();
    assertThat(next.suppressedBefore()).isEqualTo(7);
    assertThat(limiter.acquire("dlq|UNKNOWN_SCHEMA").suppressedBefore()).isZero();
  }

  @Test
  void shouldKeepABudgetPerKey() {
    for (int i = 0; i < 5; i++) {
      limiter.acquire("a");
    }

    assertThat(limiter.acquire("a").write()).isFalse();
    assertThat(limiter.acquire("b").write()).isTrue();
  }

  @Test
  void shouldLogTheSummaryLineBeforeTheFirstLineOfTheNextWindowWithItsStackTrace() {
    Logger logger = (Logger) LoggerFactory.getLogger("log-limiter-test");
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    logger.setAdditive(false);
    logger.setLevel(ch.qos.logback.classic.Level.INFO);
    try {
      // Given 5 failures of one kind in a minute
      for (int i = 0; i < 5; i++) {
        limiter.log(logger, Level.WARN, "boom", "record {} failed", i, new IllegalStateException("boom " + i));
      }
      // When one more comes a minute later
      now.addAndGet(Duration.ofMinutes(1).toNanos());
      limiter.log(logger, Level.WARN, "boom", "record {} failed", 5, new IllegalStateException("boom 5"));

      // Then the log holds the first 3, one summary line, and the new one, each with its cause
      assertThat(appender.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
          "record 0 failed", "record 1 failed", "record 2 failed",
          "suppressed 2 similar lines (boom) in the last minute", "record 5 failed");
      assertThat(appender.list.get(0).getThrowableProxy().getMessage()).isEqualTo("boom 0");
      assertThat(appender.list.get(4).getThrowableProxy().getMessage()).isEqualTo("boom 5");
      assertThat(appender.list.get(3).getThrowableProxy()).isNull();
    } finally {
      logger.detachAppender(appender);
    }
  }
}
