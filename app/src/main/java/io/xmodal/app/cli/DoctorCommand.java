package io.xmodal.app.cli;

import ai.djl.Device;
import io.xmodal.encoders.DeviceProbe;
import io.xmodal.encoders.EncoderSettings;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "doctor", mixinStandardHelpOptions = true,
    description = {
        "Where the encoders would run (XMODAL_DEVICE), and why: the NVIDIA driver (kernel module, nvidia-smi, "
            + "libcuda.so.1), ONNX Runtime's build and whether its CUDA provider loads (it needs CUDA 12.x and cuDNN "
            + "9.x: see docs/deployment.md, GPU workers), the GPUs DJL sees, and how int8 image models run on this CPU "
            + "(XMODAL_INT8_KERNELS). Starts no broker, registry or service and loads no model.",
        "Exit code 0, or 1 when XMODAL_DEVICE=gpu and no GPU can be used. Its last line: 'device: …'."})
final class DoctorCommand implements Callable<Integer> {

  @Override
  public Integer call() {
    ConfigSource source = ConfigSource.fromEnvironment();
    PlatformConfig platform = PlatformConfig.from(source);
    EncoderSettings settings = EncoderSettings.from(source::get, platform.sharedDir(), platform.workDir());
    DeviceProbe p = DeviceProbe.run(settings.device());
    System.out.printf("XMODAL_DEVICE:          %s%n", p.choice().name().toLowerCase(Locale.ROOT));
    System.out.printf("NVIDIA kernel module:   %s%n", p.driverVersion().orElse("not loaded (no /proc/driver/nvidia/version)"));
    System.out.printf("nvidia-smi:             %s%n", p.nvidiaSmi());
    System.out.printf("libcuda.so.1:           %s%n", p.libcuda().map(Object::toString).orElse("not found"));
    System.out.printf("ONNX Runtime:           %s, providers %s%n", p.ortVersion(), p.ortProviders());
    System.out.printf("ONNX Runtime CUDA:      %s%n", p.cudaProvider());
    System.out.printf("GPUs DJL sees:          %d%n", p.djlGpus());
    System.out.printf("why:                    %s%n", p.reason());
    boolean none = p.device().startsWith("none");
    System.out.printf("int8 image kernels:     %s%n", none ? "-"
        : settings.int8Kernels().reason(p.device().startsWith("gpu") ? Device.gpu() : Device.cpu()));
    System.out.printf("device: %s%n", p.device());
    return none ? 1 : 0;
  }
}
