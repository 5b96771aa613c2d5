package io.xmodal.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import org.junit.jupiter.api.Test;

class DeviceChoiceTest {

  @Test
  void autoShouldUseTheGpuWhenTheEngineReportsOne() {
    assertThat(DeviceChoice.AUTO.resolve("OnnxRuntime", 1)).isEqualTo(Device.gpu());
  }

  @Test
  void autoShouldFallBackToTheCpuWithoutAGpu() {
    assertThat(DeviceChoice.AUTO.resolve("OnnxRuntime", 0)).isEqualTo(Device.cpu());
  }

  @Test
  void cpuShouldStayOnTheCpuEvenWithAGpu() {
    assertThat(DeviceChoice.CPU.resolve("OnnxRuntime", 4)).isEqualTo(Device.cpu());
  }

  @Test
  void gpuShouldFailWithWhatToDoWhenThereIsNone() {
    assertThatThrownBy(() -> DeviceChoice.GPU.resolve("OnnxRuntime", 0))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("-Pgpu").hasMessageContaining("XMODAL_DEVICE=auto");
  }
}
