package io.xmodal.encoders;

import ai.djl.engine.Engine;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import io.xmodal.device.DeviceChoice;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Where the encoders would run, and why, found without loading a model or starting anything: the NVIDIA driver (its
 * kernel module's version file, {@code nvidia-smi}, {@code libcuda.so.1} on the library path), ONNX Runtime's build
 * (whether it has the CUDA provider) and whether that provider loads (it needs CUDA 12 and cuDNN 9 libraries), the GPU
 * count DJL reports, and the device {@link DeviceChoice} resolves to for {@code XMODAL_DEVICE}.
 *
 * @param choice        the setting
 * @param driverVersion the first line of {@code /proc/driver/nvidia/version}, if the kernel module is loaded
 * @param nvidiaSmi     {@code nvidia-smi}'s GPU list (name, driver, memory), or why it could not be run
 * @param libcuda       where {@code libcuda.so.1} was found (the driver's user-space library), if anywhere
 * @param ortVersion    ONNX Runtime's version
 * @param ortProviders  the execution providers this ONNX Runtime build has
 * @param cudaProvider  "loaded", or the error ONNX Runtime gave when asked for the CUDA provider
 * @param djlGpus       GPUs DJL's ONNX Runtime engine reports (what {@code XMODAL_DEVICE=auto} goes by)
 * @param device        the device the encoders would use, or the error {@code XMODAL_DEVICE=gpu} would fail with
 */
public record DeviceProbe(DeviceChoice choice, Optional<String> driverVersion, String nvidiaSmi,
                          Optional<Path> libcuda, String ortVersion, Set<String> ortProviders, String cudaProvider,
                          int djlGpus, String device) {

  public static DeviceProbe run(DeviceChoice choice) {
    String cuda = tryCudaProvider();
    int gpus;
    try {
      gpus = Engine.getEngine("OnnxRuntime").getGpuCount();
    } catch (RuntimeException | UnsatisfiedLinkError e) {
      gpus = 0;
    }
    String device;
    try {
      device = choice.resolve("OnnxRuntime", gpus).toString();
    } catch (IllegalStateException e) {
      device = "none: " + e.getMessage();
    }
    Set<String> providers = new LinkedHashSet<>();
    OrtEnvironment.getAvailableProviders().forEach(p -> providers.add(p.name()));
    return new DeviceProbe(choice, readDriverVersion(), runNvidiaSmi(), findLibcuda(), OrtEnvironment.getEnvironment().getVersion(),
        providers, cuda, gpus, device);
  }

  /** Why the device is what it is: the setting, and for auto or gpu the first thing that is missing, if any. */
  public String reason() {
    if (choice == DeviceChoice.CPU) {
      return "XMODAL_DEVICE=cpu";
    }
    String setting = "XMODAL_DEVICE=" + choice.name().toLowerCase(Locale.ROOT);
    if (djlGpus > 0) {
      return setting + " and ONNX Runtime sees " + djlGpus + " GPU(s)";
    }
    String missing;
    if (driverVersion.isEmpty() && libcuda.isEmpty()) {
      missing = "no NVIDIA driver (no kernel module, no libcuda.so.1)";
    } else if (!"loaded".equals(cudaProvider)) {
      missing = "ONNX Runtime's CUDA provider: " + cudaProvider;
    } else {
      missing = "ONNX Runtime reports no GPU";
    }
    return setting + " and " + missing;
  }

  /** True when the driver, the CUDA provider and DJL all see a GPU. */
  public boolean gpuReady() {
    return "loaded".equals(cudaProvider) && djlGpus > 0;
  }

  private static Optional<String> readDriverVersion() {
    Path version = Path.of("/proc/driver/nvidia/version");
    try {
      return Files.isReadable(version)
          ? Files.readAllLines(version).stream().findFirst().map(String::strip) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static String runNvidiaSmi() {
    ProcessBuilder pb = new ProcessBuilder("nvidia-smi", "--query-gpu=name,driver_version,memory.total",
        "--format=csv,noheader").redirectErrorStream(true);
    try {
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return "did not answer within 20 s";
      }
      return p.exitValue() == 0 ? out.replace('\n', ';') : "exit " + p.exitValue() + ": " + out.replace('\n', ' ');
    } catch (IOException e) {
      return "not found on PATH";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  /** {@code libcuda.so.1} in LD_LIBRARY_PATH or the usual library folders. */
  private static Optional<Path> findLibcuda() {
    List<String> dirs = new ArrayList<>();
    String ld = System.getenv("LD_LIBRARY_PATH");
    if (ld != null) {
      dirs.addAll(List.of(ld.split(":")));
    }
    dirs.addAll(List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib",
        "/usr/local/cuda/lib64", "/usr/local/cuda/compat", "/usr/local/nvidia/lib64"));
    return dirs.stream().filter(d -> !d.isBlank()).map(d -> Path.of(d, "libcuda.so.1")).filter(Files::exists)
        .findFirst();
  }

  /** Asks ONNX Runtime for the CUDA provider on device 0 (it loads its CUDA provider library and CUDA/cuDNN). */
  private static String tryCudaProvider() {
    if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
      return "not in this build (the CPU onnxruntime artifact; build with ./mvnw -Pgpu)";
    }
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.addCUDA(0);
      return "loaded";
    } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
      return "failed to load: " + String.valueOf(e.getMessage()).strip().replace('\n', ' ');
    }
  }
}
