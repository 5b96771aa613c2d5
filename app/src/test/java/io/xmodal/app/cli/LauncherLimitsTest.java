package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.platform.config.ConfigSource;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LauncherLimitsTest {

  @Test
  void shouldPrintTheEnvironmentThenTheJvmOptionsOfTheLauncherJvm() {
    assertThat(LauncherLimits.lines(ConfigSource.of(Map.of("XMODAL_HEAP", "3g"))))
        .containsExactly("MALLOC_ARENA_MAX=2", "-Xmx3g", "-XX:MaxDirectMemorySize=1g",
            "-Dorg.bytedeco.javacpp.maxbytes=1g", "-Dorg.bytedeco.javacpp.maxphysicalbytes=16g");
  }

  @Test
  void shouldGiveTheCommandsThatHoldWholeDatasetsTheWiderHeapUnlessOneIsSet() {
    ConfigSource none = ConfigSource.of(Map.of());
    assertThat(LauncherLimits.lines(LauncherLimits.forCommand(none, "demo"))).contains("-Xmx1536m");
    assertThat(LauncherLimits.lines(LauncherLimits.forCommand(none, "eval"))).contains("-Xmx2g");
    assertThat(LauncherLimits.lines(LauncherLimits.forCommand(none, "bench"))).contains("-Xmx2g");
    assertThat(LauncherLimits.lines(LauncherLimits.forCommand(ConfigSource.of(Map.of("XMODAL_HEAP", "1g")), "eval")))
        .contains("-Xmx1g");
  }

  @Test
  void shouldPrintOnlyOptionsWhenGlibcKeepsItsDefault() {
    assertThat(LauncherLimits.lines(ConfigSource.of(Map.of("XMODAL_MALLOC_ARENA_MAX", "0"))))
        .allMatch(line -> line.startsWith("-"));
  }
}
