package io.xmodal.encoders;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.xmodal.device.DeviceChoice;
import org.junit.jupiter.api.Test;

class EncoderDeviceTest {

  @Test
  void autoOnThisMachineShouldMatchWhatTheEncodersEngineReports() {
    Device d = DeviceChoice.AUTO.resolve("OnnxRuntime");
    int gpus = Engine.getEngine("OnnxRuntime").getGpuCount();
    assertThat(d).isEqualTo(gpus > 0 ? Device.gpu() : Device.cpu());
  }
}
