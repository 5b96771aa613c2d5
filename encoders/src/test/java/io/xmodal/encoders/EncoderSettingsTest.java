package io.xmodal.encoders;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EncoderSettingsTest {

  @Test
  void shouldBeEqualWhenReadTwiceFromTheSameSettings() {
    // services of one JVM share the models by these settings: equal settings must be equal values
    Map<String, String> env = Map.of("XMODAL_IMAGE_MEAN", "0.5,0.5,0.5");
    EncoderSettings a = EncoderSettings.from(k -> Optional.ofNullable(env.get(k)), Path.of("shared"), Path.of("work"));
    EncoderSettings b = EncoderSettings.from(k -> Optional.ofNullable(env.get(k)), Path.of("shared"), Path.of("work"));

    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a.image()).isEqualTo(b.image());
  }
}
