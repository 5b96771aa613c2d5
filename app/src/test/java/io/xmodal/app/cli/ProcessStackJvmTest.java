package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.platform.config.ConfigSource;
import io.xmodal.tools.stack.ProcessStack;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcessStackJvmTest {

  @Test
  void shouldStartEachServiceInstanceWithItsMemoryLimitsThenTheExtraOptionsGiven() {
    assertThat(ProcessStack.serviceJvm(ConfigSource.of(Map.of())))
        .containsExactly("-Xmx1g", "-XX:MaxDirectMemorySize=512m", "-Dorg.bytedeco.javacpp.maxbytes=1g",
            "-Dorg.bytedeco.javacpp.maxphysicalbytes=16g", "-Djava.awt.headless=true", "-Dai.djl.offline=true");
    assertThat(ProcessStack.serviceJvm(ConfigSource.of(Map.of("XMODAL_SERVICE_HEAP", "768m",
        "XMODAL_SERVICE_DIRECT_MEMORY", "256m",
        "XMODAL_SERVICE_JAVA_OPTS", "  -XX:TieredStopAtLevel=1   -XX:+UseSerialGC "))))
        .containsExactly("-Xmx768m", "-XX:MaxDirectMemorySize=256m", "-Dorg.bytedeco.javacpp.maxbytes=1g",
            "-Dorg.bytedeco.javacpp.maxphysicalbytes=16g", "-Djava.awt.headless=true", "-Dai.djl.offline=true",
            "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
  }
}
