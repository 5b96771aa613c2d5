package io.xmodal.device;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code XMODAL_DEVICE}: where a DJL engine runs (the encoders' ONNX Runtime, the learned maps' PyTorch). */
public enum DeviceChoice {
  /** The GPU when the engine reports one, the CPU otherwise (logged). */
  AUTO,
  CPU,
  /** The GPU, or fail with an error that says what is missing. */
  GPU;

  private static final Logger LOG = LoggerFactory.getLogger(DeviceChoice.class);

  // what was logged already: one line per engine and outcome in a process, not one per model loaded
  private static final Set<String> ANNOUNCED = ConcurrentHashMap.newKeySet();

  /** The device for {@code engineName}, given how many GPUs it sees. */
  public Device resolve(String engineName, int gpuCount) {
    return switch (this) {
      case CPU -> Device.cpu();
      case GPU -> {
        if (gpuCount < 1) {
          throw new IllegalStateException("XMODAL_DEVICE=gpu but " + engineName + " sees no GPU: build with the 'gpu' "
              + "profile (./mvnw -Pgpu …) on a host with the NVIDIA driver, CUDA 12 and cuDNN 9, or use "
              + "XMODAL_DEVICE=auto|cpu");
        }
        yield Device.gpu();
      }
      case AUTO -> {
        if (gpuCount > 0) {
          if (ANNOUNCED.add(engineName + " gpu")) {
            LOG.info("{}: {} GPU(s) found, running on {} (XMODAL_DEVICE=auto)", engineName, gpuCount, Device.gpu());
          }
          yield Device.gpu();
        }
        if (ANNOUNCED.add(engineName + " cpu")) {
          LOG.info("{}: no GPU found, running on the CPU (XMODAL_DEVICE=auto)", engineName);
        }
        yield Device.cpu();
      }
    };
  }

  /** The device for the named DJL engine, asking it how many GPUs it sees. */
  public Device resolve(String engineName) {
    return resolve(engineName, this == CPU ? 0 : Engine.getEngine(engineName).getGpuCount());
  }
}
