package io.xmodal.encoders;

import io.xmodal.device.DeviceChoice;
import io.xmodal.encoders.image.ImageModelSpec;
import io.xmodal.encoders.text.TextEncoder;
import io.xmodal.encoders.text.TextModel;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * Which encoders to load and how, read from {@code XMODAL_*} settings (any lookup: environment, properties).
 *
 * @param device     {@code XMODAL_DEVICE}: auto (GPU when there is one), cpu or gpu
 * @param threads    {@code XMODAL_ENCODE_THREADS}: ONNX Runtime intra-op threads per session, default 1 (on 2 cores
 *                   more threads spin-wait against the stream thread and the broker and run slower; 0 = one per core)
 * @param textModel  {@code XMODAL_TEXT_MODEL}: minilm_l6_v2 (default) or minilm_l6_v2_q (int8)
 * @param maxTokens  {@code XMODAL_TEXT_MAX_TOKENS}: longer text is truncated, default 256
 * @param image      {@code XMODAL_IMAGE_MODEL} (path, default {@code <shared>/models/mobilenetv2-12-int8-features.onnx}),
 *                   {@code XMODAL_IMAGE_NAME}, {@code XMODAL_IMAGE_INPUT}, {@code XMODAL_IMAGE_OUTPUT},
 *                   {@code XMODAL_IMAGE_DIM}, {@code XMODAL_IMAGE_SIZE}, {@code XMODAL_IMAGE_MEAN},
 *                   {@code XMODAL_IMAGE_STD}, {@code XMODAL_IMAGE_LAYOUT}, {@code XMODAL_IMAGE_FLIP_AVERAGE} (average
 *                   each image's vector with its mirror image's)
 * @param modelCache where model files extracted from jars are kept ({@code <work>/models})
 */
public record EncoderSettings(DeviceChoice device, int threads, TextModel textModel, int maxTokens,
                              ImageModelSpec image, Path modelCache) {

  /**
   * Flip averaging is on unless XMODAL_IMAGE_FLIP_AVERAGE=false: on Flickr8k dev it adds about 12 rsum to every
   * mapping (weighted CCA +CSLS 284.3 → 296.8) for about 15% less image throughput on the CPU.
   */
  public static final boolean FLIP_AVERAGE_DEFAULT = true;

  public static EncoderSettings from(Function<String, Optional<String>> setting, Path sharedDir, Path workDir) {
    ImageModelSpec defaults = ImageModelSpec.mobileNetV2Features(sharedDir.resolve("models"));
    Path file = setting.apply("XMODAL_IMAGE_MODEL").map(Path::of).orElse(defaults.file());
    int size = integer(setting, "XMODAL_IMAGE_SIZE", defaults.width());
    ImageModelSpec image = new ImageModelSpec(file,
        setting.apply("XMODAL_IMAGE_NAME").orElse(file.equals(defaults.file()) ? defaults.name() : stem(file)),
        setting.apply("XMODAL_IMAGE_INPUT").orElse(defaults.inputName()),
        setting.apply("XMODAL_IMAGE_OUTPUT").orElse(defaults.outputName()),
        integer(setting, "XMODAL_IMAGE_DIM", defaults.dimension()),
        size, size,
        floats(setting, "XMODAL_IMAGE_MEAN", defaults.mean()),
        floats(setting, "XMODAL_IMAGE_STD", defaults.std()),
        choice(setting, "XMODAL_IMAGE_LAYOUT", ImageModelSpec.Layout.class, defaults.layout()),
        bool(setting, "XMODAL_IMAGE_FLIP_AVERAGE", FLIP_AVERAGE_DEFAULT));
    return new EncoderSettings(
        choice(setting, "XMODAL_DEVICE", DeviceChoice.class, DeviceChoice.AUTO),
        integer(setting, "XMODAL_ENCODE_THREADS", 1),
        choice(setting, "XMODAL_TEXT_MODEL", TextModel.class, TextModel.MINILM_L6_V2),
        integer(setting, "XMODAL_TEXT_MAX_TOKENS", TextEncoder.DEFAULT_MAX_TOKENS),
        image,
        workDir.resolve("models"));
  }

  private static String stem(Path file) {
    String n = file.getFileName().toString();
    return n.endsWith(".onnx") ? n.substring(0, n.length() - 5) : n;
  }

  private static int integer(Function<String, Optional<String>> setting, String name, int fallback) {
    return setting.apply(name).map(v -> {
      try {
        return Integer.parseInt(v.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(name + " must be an integer, got '" + v + "'");
      }
    }).orElse(fallback);
  }

  private static boolean bool(Function<String, Optional<String>> setting, String name, boolean fallback) {
    return setting.apply(name).map(v -> switch (v.trim().toLowerCase(Locale.ROOT)) {
      case "true", "1", "yes", "on" -> true;
      case "false", "0", "no", "off" -> false;
      default -> throw new IllegalArgumentException(name + " must be true or false, got '" + v + "'");
    }).orElse(fallback);
  }

  private static <E extends Enum<E>> E choice(Function<String, Optional<String>> setting, String name, Class<E> type,
                                              E fallback) {
    return setting.apply(name).map(v -> {
      try {
        return Enum.valueOf(type, v.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(name + " must be one of " + java.util.Arrays.toString(
            type.getEnumConstants()) + ", got '" + v + "'");
      }
    }).orElse(fallback);
  }

  private static float[] floats(Function<String, Optional<String>> setting, String name, float[] fallback) {
    return setting.apply(name).map(v -> {
      String[] parts = v.split(",");
      if (parts.length != 3) {
        throw new IllegalArgumentException(name + " must be three comma-separated numbers (R,G,B), got '" + v + "'");
      }
      float[] out = new float[3];
      for (int i = 0; i < 3; i++) {
        try {
          out[i] = Float.parseFloat(parts[i].trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(name + " must be three comma-separated numbers (R,G,B), got '" + v + "'");
        }
      }
      return out;
    }).orElse(fallback);
  }
}
