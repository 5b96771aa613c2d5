package io.xmodal.platform.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xmodal.platform.config.JvmLimits.Role;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JvmLimitsTest {

  private static final ConfigSource DEFAULTS = ConfigSource.of(Map.of());

  @Test
  void shouldGiveTheLauncherJvmAHeapDirectMemoryAndJavaCppLimits() {
    JvmLimits limits = JvmLimits.of(Role.LAUNCHER, DEFAULTS);

    assertThat(limits.jvmOptions()).containsExactly("-Xmx1536m", "-XX:MaxDirectMemorySize=1g",
        "-Dorg.bytedeco.javacpp.maxbytes=1g", "-Dorg.bytedeco.javacpp.maxphysicalbytes=16g");
    assertThat(limits.environment()).containsExactlyEntriesOf(Map.of("MALLOC_ARENA_MAX", "2"));
  }

  @Test
  void shouldGiveEachRoleItsOwnDefaults() {
    assertThat(JvmLimits.of(Role.SERVICE, DEFAULTS).jvmOptions()).containsExactly("-Xmx1g",
        "-XX:MaxDirectMemorySize=512m", "-Dorg.bytedeco.javacpp.maxbytes=1g",
        "-Dorg.bytedeco.javacpp.maxphysicalbytes=16g");
    assertThat(JvmLimits.of(Role.BROKER, DEFAULTS).jvmOptions())
        .containsExactly("-Xmx512m", "-XX:MaxDirectMemorySize=512m");
    assertThat(JvmLimits.of(Role.REGISTRY, DEFAULTS).jvmOptions())
        .containsExactly("-Xmx256m", "-XX:MaxDirectMemorySize=256m");
    for (Role role : Role.values()) {
      assertThat(JvmLimits.of(role, DEFAULTS).environment()).as(role.name())
          .containsExactlyEntriesOf(Map.of("MALLOC_ARENA_MAX", "2"));
    }
  }

  @Test
  void shouldReadEachLimitFromItsSetting() {
    ConfigSource source = ConfigSource.of(Map.of("XMODAL_HEAP", "3g", "XMODAL_DIRECT_MEMORY", "768m",
        "XMODAL_JAVACPP_MAX_BYTES", "512m", "XMODAL_JAVACPP_MAX_PHYSICAL_BYTES", "4096m",
        "XMODAL_MALLOC_ARENA_MAX", "4", "XMODAL_BROKER_HEAP", "1g", "XMODAL_BROKER_DIRECT_MEMORY", "128m",
        "XMODAL_REGISTRY_DIRECT_MEMORY", "64m"));

    JvmLimits launcher = JvmLimits.of(Role.LAUNCHER, source);
    assertThat(launcher.jvmOptions()).containsExactly("-Xmx3g", "-XX:MaxDirectMemorySize=768m",
        "-Dorg.bytedeco.javacpp.maxbytes=512m", "-Dorg.bytedeco.javacpp.maxphysicalbytes=4g");
    assertThat(launcher.environment()).containsExactlyEntriesOf(Map.of("MALLOC_ARENA_MAX", "4"));
    assertThat(JvmLimits.of(Role.BROKER, source).jvmOptions()).containsExactly("-Xmx1g", "-XX:MaxDirectMemorySize=128m");
    assertThat(JvmLimits.of(Role.REGISTRY, source).jvmOptions())
        .containsExactly("-Xmx256m", "-XX:MaxDirectMemorySize=64m");
    assertThat(JvmLimits.of(Role.SERVICE, source).jvmOptions()).as("the JavaCPP limits apply to every JVM of services")
        .contains("-Dorg.bytedeco.javacpp.maxphysicalbytes=4g").startsWith("-Xmx1g");
  }

  @Test
  void shouldLeaveGlibcsArenasAloneWhenAskedWithZero() {
    JvmLimits limits = JvmLimits.of(Role.LAUNCHER, ConfigSource.of(Map.of("XMODAL_MALLOC_ARENA_MAX", "0")));

    assertThat(limits.environment()).isEmpty();
  }

  @Test
  void shouldRefuseLimitsThatCannotWork() {
    assertThatThrownBy(() -> JvmLimits.of(Role.LAUNCHER, ConfigSource.of(Map.of("XMODAL_HEAP", "2 GB"))))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("XMODAL_HEAP must be a size such as 512m");
    assertThatThrownBy(() -> JvmLimits.of(Role.LAUNCHER, ConfigSource.of(Map.of("XMODAL_MALLOC_ARENA_MAX", "-1"))))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("XMODAL_MALLOC_ARENA_MAX must be 0");
    assertThatThrownBy(() -> JvmLimits.of(Role.LAUNCHER, ConfigSource.of(Map.of("XMODAL_HEAP", "16g"))))
        .as("the physical limit counts the heap too: a heap as large fails at the first ND4J operation")
        .isInstanceOf(ConfigException.class)
        .hasMessage("XMODAL_JAVACPP_MAX_PHYSICAL_BYTES (16g) must be larger than the heap (16g): it bounds the whole "
            + "process, heap included");
  }

  @Test
  void shouldCarryTheBrokerAndRegistryLimitsInTheEmbeddedSettings() {
    EmbeddedSettings embedded = EmbeddedSettings.from(ConfigSource.of(Map.of("XMODAL_REGISTRY_HEAP", "192m")));

    assertThat(embedded.broker()).isEqualTo(JvmLimits.of(Role.BROKER, DEFAULTS));
    assertThat(embedded.registry().heap()).isEqualTo(ByteSize.parse("192m"));
    assertThat(embedded.withPorts(1, 2, 3).registry()).isEqualTo(embedded.registry());
  }
}
