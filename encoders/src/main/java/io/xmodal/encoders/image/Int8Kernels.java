package io.xmodal.encoders.image;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * {@code XMODAL_INT8_KERNELS}: how an int8 image model's convolutions run on the CPU.
 *
 * <p>ONNX Runtime's int8 kernels are exact on CPUs with VNNI (and on ARM), but on x86 CPUs without it they multiply
 * with {@code VPMADDUBSW}, whose 16-bit sums saturate: there MobileNetV2-int8 classified a dog as a spider web and
 * the image vectors lost quality. {@link #FLOAT} runs the same quantized weights in float (the model's int8 semantics,
 * without the saturation), at a speed cost; {@link #AUTO} does that only where the CPU lacks VNNI.
 */
public enum Int8Kernels {
  /** Float on an x86 CPU without VNNI, ONNX Runtime's int8 kernels otherwise (and always on a GPU). */
  AUTO,
  /** ONNX Runtime's int8 kernels whatever the CPU. */
  NATIVE,
  /** Float on the CPU whatever it has. */
  FLOAT;

  private static final Set<String> VNNI = Set.of("avx512_vnni", "avx_vnni", "amx_int8");

  /** This machine's CPU, read once. */
  private static final boolean THIS_CPU_SATURATES = saturatingCpu(System.getProperty("os.arch"), cpuFlags());

  /** Whether the convolutions should run in float on {@code device}. */
  public boolean floatOn(Device device) {
    return switch (this) {
      case NATIVE -> false;
      case FLOAT -> !device.isGpu();
      case AUTO -> !device.isGpu() && THIS_CPU_SATURATES;
    };
  }

  /** Why {@link #floatOn} decided as it did, for the log and the doctor. */
  public String reason(Device device) {
    if (device.isGpu()) {
      return "on " + device + ": int8 kernels";
    }
    return switch (this) {
      case NATIVE -> "XMODAL_INT8_KERNELS=native: ONNX Runtime's int8 kernels";
      case FLOAT -> "XMODAL_INT8_KERNELS=float: quantized convolutions in float";
      case AUTO -> THIS_CPU_SATURATES
          ? "this x86 CPU has no VNNI, its int8 kernels saturate: quantized convolutions in float "
              + "(XMODAL_INT8_KERNELS=native keeps the int8 kernels)"
          : "this CPU's int8 kernels are exact (VNNI, or not x86): ONNX Runtime's int8 kernels";
    };
  }

  static boolean saturatingCpu(String arch, Set<String> flags) {
    String a = arch == null ? "" : arch.toLowerCase(Locale.ROOT);
    boolean x86 = a.equals("amd64") || a.equals("x86_64") || a.equals("x86") || a.equals("i386");
    if (!x86 || flags.isEmpty()) {
      return false;   // not x86, or flags unknown (not Linux): keep the int8 kernels
    }
    return flags.stream().noneMatch(VNNI::contains);
  }

  /** The CPU's feature flags from /proc/cpuinfo (Linux), empty where there is none. */
  static Set<String> cpuFlags() {
    Path cpuinfo = Path.of("/proc/cpuinfo");
    if (!Files.isReadable(cpuinfo)) {
      return Set.of();
    }
    try (var lines = Files.lines(cpuinfo)) {
      return lines.filter(l -> l.startsWith("flags"))
          .findFirst()
          .map(l -> Set.of(l.substring(l.indexOf(':') + 1).trim().split("\\s+")))
          .orElse(Set.of());
    } catch (IOException | RuntimeException e) {
      return Set.of();
    }
  }
}
