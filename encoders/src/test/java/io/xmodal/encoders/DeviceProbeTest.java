package io.xmodal.encoders;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.device.DeviceChoice;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DeviceProbeTest {

  static DeviceProbe probe(DeviceChoice choice, Optional<String> driver, Optional<Path> libcuda, String cuda, int gpus) {
    return new DeviceProbe(choice, driver, "not found on PATH", libcuda, "1.21.0", Set.of("CPU", "CUDA"), cuda, gpus,
        gpus > 0 ? "gpu(0)" : "cpu()");
  }

  @Test
  void shouldNameTheMissingDriverFirst() {
    DeviceProbe p = probe(DeviceChoice.AUTO, Optional.empty(), Optional.empty(), "failed to load: libcudnn.so.9", 0);

    assertThat(p.reason()).isEqualTo("XMODAL_DEVICE=auto and no NVIDIA driver (no kernel module, no libcuda.so.1)");
    assertThat(p.gpuReady()).isFalse();
  }

  @Test
  void shouldNameTheCudaProviderWhenTheDriverIsThere() {
    DeviceProbe p = probe(DeviceChoice.GPU, Optional.of("NVRM version: 550.54.15"),
        Optional.of(Path.of("/usr/lib/x86_64-linux-gnu/libcuda.so.1")), "failed to load: libcudnn.so.9: cannot open", 0);

    assertThat(p.reason()).isEqualTo("XMODAL_DEVICE=gpu and ONNX Runtime's CUDA provider: failed to load: "
        + "libcudnn.so.9: cannot open");
  }

  @Test
  void shouldSayWhatItSeesWhenAGpuIsUsable() {
    DeviceProbe p = probe(DeviceChoice.AUTO, Optional.of("NVRM version: 550.54.15"), Optional.empty(), "loaded", 1);

    assertThat(p.reason()).isEqualTo("XMODAL_DEVICE=auto and ONNX Runtime sees 1 GPU(s)");
    assertThat(p.gpuReady()).isTrue();
  }

  @Test
  void shouldNotLookFurtherWhenTheCpuIsAskedFor() {
    assertThat(probe(DeviceChoice.CPU, Optional.empty(), Optional.empty(), "loaded", 1).reason())
        .isEqualTo("XMODAL_DEVICE=cpu");
  }
}
