package io.xmodal.encoders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import io.xmodal.device.DeviceChoice;
import io.xmodal.encoders.text.TextEncoder;
import io.xmodal.encoders.text.TextModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdleSessionTest {

  private static final List<String> TEXTS = List.of("A dog runs through the snow .", "Two children play on a beach .");

  @Test
  void shouldCloseAnIdleSessionReleaseTheModelNoOneUsesAndLoadItAgainForTheNextBatch(@TempDir Path cache) {
    try (TextEncoder minilm = TextEncoder.load(TextModel.MINILM_L6_V2, cache, DeviceChoice.CPU, 256, 1)) {
      List<Integer> released = new ArrayList<>();
      // an idle time of 1 ns: idle at every check after a call
      try (IdleSession<String> session = new IdleSession<>("test", minilm::newSession,
          () -> record(released, minilm.releaseIfUnused()), Duration.ofNanos(1))) {
        float[][] before = session.encode(TEXTS);

        // another session still open: this one closes, the model stays
        try (EncoderSession<String> other = minilm.newSession()) {
          assertThat(session.closeIfIdle()).isTrue();
          assertThat(released).containsExactly(0);
          assertThat(other.encode(TEXTS)[0]).containsExactly(before[0], offset(1e-6f));
        }
        // the last one closed: the model is released, and the next batch loads it again and gets the same vectors
        session.encode(TEXTS);
        assertThat(session.closeIfIdle()).isTrue();
        assertThat(released).containsExactly(0, 1);
        assertThat(session.isOpen()).isFalse();
        float[][] after = session.encode(TEXTS);
        assertThat(session.isOpen()).isTrue();
        for (int i = 0; i < TEXTS.size(); i++) {
          assertThat(after[i]).containsExactly(before[i], offset(1e-6f));
        }
      }
    }
  }

  @Test
  void shouldKeepTheSessionWhenTheIdleTimeIsZeroOrNotYetReached(@TempDir Path cache) {
    try (TextEncoder minilm = TextEncoder.load(TextModel.MINILM_L6_V2, cache, DeviceChoice.CPU, 256, 1);
         IdleSession<String> never = new IdleSession<>("never", minilm::newSession, minilm::releaseIfUnused,
             Duration.ZERO);
         IdleSession<String> later = new IdleSession<>("later", minilm::newSession, minilm::releaseIfUnused,
             Duration.ofHours(1))) {
      never.encode(TEXTS);
      later.encode(TEXTS);

      assertThat(never.closeIfIdle()).isFalse();
      assertThat(later.closeIfIdle()).isFalse();
      assertThat(never.isOpen()).isTrue();
      assertThat(later.isOpen()).isTrue();
    }
  }

  private static int record(List<Integer> into, int released) {
    into.add(released);
    return released;
  }
}
