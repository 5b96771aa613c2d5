package io.xmodal.encode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xmodal.encoders.EncodingException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PreparePoolTest {

  @Test
  void shouldPrepareOnAPoolThreadWhileTheCallerGoesOn() throws Exception {
    // Given a pool of one thread and work that says when it starts
    PreparePool pool = PreparePool.of(1, "test-decode");
    CountDownLatch started = new CountDownLatch(1);

    // When the work is submitted and the caller collects it once it has started
    FutureTask<String> task = pool.submit(() -> {
      started.countDown();
      return Thread.currentThread().getName();
    });
    assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();

    // Then it ran on the pool's thread, not the caller's
    assertThat(PreparePool.await(task)).isEqualTo("test-decode-1");
    assertThat(pool.threads()).isEqualTo(1);
  }

  @Test
  void shouldRunWorkNoThreadHasStartedOnTheCallingThread() {
    // Given a pool without threads
    PreparePool pool = PreparePool.of(0, "test-decode");

    // When work is submitted and collected
    FutureTask<String> task = pool.submit(() -> Thread.currentThread().getName());

    // Then the collecting thread ran it
    assertThat(task.isDone()).isFalse();
    assertThat(PreparePool.await(task)).isEqualTo(Thread.currentThread().getName());
  }

  @Test
  void shouldHandBackTheExceptionTheWorkThrew() {
    PreparePool pool = PreparePool.of(1, "test-decode");

    FutureTask<String> task = pool.submit(() -> {
      throw new EncodingException("cannot decode image: broken");
    });

    assertThatThrownBy(() -> PreparePool.await(task)).isInstanceOf(EncodingException.class)
        .hasMessage("cannot decode image: broken");
  }

  @Test
  void shouldRefuseANegativeSize() {
    assertThatThrownBy(() -> PreparePool.of(-1, "x")).isInstanceOf(IllegalArgumentException.class);
  }
}
