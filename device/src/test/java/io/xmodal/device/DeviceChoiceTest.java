package io.xmodal.encoders;

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

  @Test
  void autoOnThisMachineShouldMatchWhatTheEngineReports() {
    Device d = DeviceChoice.AUTO.resolve("OnnxRuntime");
    int gpus = ai.djl.engine.Engine.getEngine("OnnxRuntime").getGpuCount();
    assertThat(d).isEqualTo(gpus > 0 ? Device.gpu() : Device.cpu());
  }
}
