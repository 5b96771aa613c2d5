package io.xmodal.encoders;

import ai.djl.Device;
import io.xmodal.device.DeviceChoice;
import io.xmodal.encoders.image.ImageModel;
import io.xmodal.encoders.image.ImageModelSpec;
import io.xmodal.encoders.image.Int8Kernels;
import io.xmodal.encoders.text.TextEncoder;
import io.xmodal.encoders.text.TextModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Which encoders to load and how, read from {@code XMODAL_*} settings (any lookup: environment, properties).
 *
 * @param device     {@code XMODAL_DEVICE}: auto (GPU when there is one), cpu or gpu
 * @param threads    {@code XMODAL_ENCODE_THREADS}: ONNX Runtime intra-op threads per session, default 0 = the
 *                   cores shared among the calls a session runs at once ({@link #threadsFor}; the workers do not spin
 *                   between operators, so they leave the cores to the stream thread and the broker when idle)
 * @param calls      {@code XMODAL_ENCODE_CALLS}: model calls an encoder session runs at once, each on its own thread,
 *                   default 0 = one per core on a CPU, one on a GPU ({@link #callsOn}); two single-threaded calls side
 *                   by side use 2 cores better than one call on two intra-op threads, which leaves one idle through
 *                   a model's serial stretches (docs/performance.md)
 * @param textModels {@code XMODAL_TEXT_MODEL}: one text model or several joined by commas (a composite encoder):
 *                   minilm_l6_v2, minilm_l6_v2_q (int8), bge_small_en_v15, bge_small_en_v15_q (int8),
 *                   e5_small_v2; default {@link #TEXT_DEFAULT}
 * @param maxTokens  {@code XMODAL_TEXT_MAX_TOKENS}: longer text is truncated, default 256
 * @param images     {@code XMODAL_IMAGE_ENCODER}: one image model or several joined by commas (a composite), each
 *                   {@code resnet50} or {@code mobilenetv2}, optionally {@code :flip} or {@code :noflip} (average each
 *                   image's vector with its mirror image's; otherwise {@code XMODAL_IMAGE_FLIP_AVERAGE}, otherwise the
 *                   model's measured default) or {@code :crops} (average five crops of the image seen at 9/7 of the
 *                   model's input size, see {@link ImageModelSpec.View#CROPS}) or {@code :windows} (the same five
 *                   windows pooled from one pass over the larger image, {@link ImageModelSpec.View#WINDOWS}); a model
 *                   may appear once per view;
 *                   default {@link #IMAGE_DEFAULT}. Or any ONNX model: {@code
 *                   XMODAL_IMAGE_MODEL} (path) with {@code XMODAL_IMAGE_NAME}, {@code XMODAL_IMAGE_INPUT},
 *                   {@code XMODAL_IMAGE_OUTPUT}, {@code XMODAL_IMAGE_DIM}, {@code XMODAL_IMAGE_SIZE},
 *                   {@code XMODAL_IMAGE_MEAN}, {@code XMODAL_IMAGE_STD}, {@code XMODAL_IMAGE_LAYOUT},
 *                   {@code XMODAL_IMAGE_FLIP_AVERAGE} or {@code XMODAL_IMAGE_VIEW} (flip, noflip, crops or windows;
 *                   defaults: MobileNetV2's)
 * @param modelCache where model files extracted from jars are kept ({@code <work>/models})
 * @param int8Kernels {@code XMODAL_INT8_KERNELS}: auto (default: an int8 image model's convolutions in float on an
 *                   x86 CPU without VNNI, whose int8 kernels saturate), native or float; see {@link Int8Kernels}
 */
public record EncoderSettings(DeviceChoice device, int threads, int calls, List<TextModel> textModels, int maxTokens,
                              List<ImageModelSpec> images, Path modelCache, Int8Kernels int8Kernels) {

  /** The text encoder when XMODAL_TEXT_MODEL is not set. */
  public static final String TEXT_DEFAULT = "minilm_l6_v2,bge_small_en_v15,e5_small_v2";

  /** The image encoder when neither XMODAL_IMAGE_ENCODER nor XMODAL_IMAGE_MODEL is set. */
  public static final String IMAGE_DEFAULT = "resnet50:flip,resnet50:windows,mobilenetv2:flip";

  /**
   * Flip averaging of a custom model (XMODAL_IMAGE_MODEL) unless XMODAL_IMAGE_FLIP_AVERAGE says otherwise: on
   * Flickr8k dev it adds about 12 rsum to every mapping with MobileNetV2 (weighted CCA +CSLS 284.3 → 296.8).
   */
  public static final boolean FLIP_AVERAGE_DEFAULT = true;

  private static final String BLOCK_FORMS = "MODEL, MODEL:flip, MODEL:noflip, MODEL:crops or MODEL:windows";

  /** Settings that only describe a custom model file (XMODAL_IMAGE_MODEL). */
  private static final List<String> CUSTOM_ONLY = List.of("XMODAL_IMAGE_NAME", "XMODAL_IMAGE_INPUT",
      "XMODAL_IMAGE_OUTPUT", "XMODAL_IMAGE_DIM", "XMODAL_IMAGE_SIZE", "XMODAL_IMAGE_MEAN", "XMODAL_IMAGE_STD",
      "XMODAL_IMAGE_LAYOUT", "XMODAL_IMAGE_VIEW");

  public EncoderSettings {
    if (threads < 0 || calls < 0) {
      throw new IllegalArgumentException("XMODAL_ENCODE_THREADS and XMODAL_ENCODE_CALLS must be 0 (automatic) or more, "
          + "got " + threads + " and " + calls);
    }
    textModels = List.copyOf(textModels);
    images = List.copyOf(images);
    if (textModels.isEmpty() || images.isEmpty()) {
      throw new IllegalArgumentException("at least one text model and one image model are needed");
    }
  }

  public static EncoderSettings from(Function<String, Optional<String>> setting, Path sharedDir, Path workDir) {
    Path models = sharedDir.resolve("models");
    List<ImageModelSpec> images;
    Optional<String> custom = setting.apply("XMODAL_IMAGE_MODEL");
    if (custom.isPresent()) {
      if (setting.apply("XMODAL_IMAGE_ENCODER").isPresent()) {
        throw new IllegalArgumentException("set XMODAL_IMAGE_ENCODER (named models) or XMODAL_IMAGE_MODEL (a file), "
            + "not both");
      }
      images = List.of(customImage(setting, Path.of(custom.get()), ImageModelSpec.mobileNetV2Features(models)));
    } else {
      for (String only : CUSTOM_ONLY) {
        if (setting.apply(only).isPresent()) {
          throw new IllegalArgumentException(only + " describes a model given by XMODAL_IMAGE_MODEL (a file); the "
              + "named models of XMODAL_IMAGE_ENCODER carry their own preprocessing: set XMODAL_IMAGE_MODEL too, or "
              + "unset " + only);
        }
      }
      images = imageList(setting, models, setting.apply("XMODAL_IMAGE_ENCODER").orElse(IMAGE_DEFAULT));
    }
    return new EncoderSettings(
        choice(setting, "XMODAL_DEVICE", DeviceChoice.class, DeviceChoice.AUTO),
        integer(setting, "XMODAL_ENCODE_THREADS", 0),
        integer(setting, "XMODAL_ENCODE_CALLS", 0),
        textList(setting.apply("XMODAL_TEXT_MODEL").orElse(TEXT_DEFAULT)),
        integer(setting, "XMODAL_TEXT_MAX_TOKENS", TextEncoder.DEFAULT_MAX_TOKENS),
        images,
        workDir.resolve("models"),
        choice(setting, "XMODAL_INT8_KERNELS", Int8Kernels.class, Int8Kernels.AUTO));
  }

  /** How many model calls a session runs at once on {@code device}: as set, else one per core on a CPU, 1 on a GPU. */
  public int callsOn(Device device) {
    return calls > 0 ? calls : device.isGpu() ? 1 : Runtime.getRuntime().availableProcessors();
  }

  /**
   * ONNX Runtime intra-op threads per session when its sessions run {@code calls} calls at once: as set, else the
   * cores shared among the calls (at least 1), or ONNX Runtime's own default (one per core) for one call at a time.
   */
  public int threadsFor(int calls) {
    return threads > 0 ? threads : calls == 1 ? 0 : Math.max(1, Runtime.getRuntime().availableProcessors() / calls);
  }

  private static List<TextModel> textList(String value) {
    List<TextModel> out = new ArrayList<>();
    for (String part : value.split(",")) {
      out.add(parse("XMODAL_TEXT_MODEL", TextModel.class, part));
    }
    if (new HashSet<>(out).size() != out.size()) {
      throw new IllegalArgumentException("XMODAL_TEXT_MODEL names a model twice: '" + value + "'");
    }
    return out;
  }

  private static List<ImageModelSpec> imageList(Function<String, Optional<String>> setting, Path models,
                                                String value) {
    Optional<Boolean> flipAll = setting.apply("XMODAL_IMAGE_FLIP_AVERAGE")
        .map(v -> bool(setting, "XMODAL_IMAGE_FLIP_AVERAGE", false));
    List<ImageModelSpec> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (String part : value.split(",")) {
      String[] nameAndView = part.trim().split(":", -1);
      ImageModel model = parse("XMODAL_IMAGE_ENCODER", ImageModel.class, nameAndView[0]);
      ImageModelSpec.View view = ImageModelSpec.View.flipped(flipAll.orElse(model.flipDefault()));
      if (nameAndView.length > 2) {
        throw new IllegalArgumentException("XMODAL_IMAGE_ENCODER: '" + part + "' is not " + BLOCK_FORMS);
      } else if (nameAndView.length == 2) {
        view = view(nameAndView[1]).orElseThrow(() -> new IllegalArgumentException("XMODAL_IMAGE_ENCODER: '" + part
            + "' is not " + BLOCK_FORMS));
      }
      ImageModelSpec spec = model.spec(models, view);
      if (!seen.add(spec.identity())) {
        throw new IllegalArgumentException("XMODAL_IMAGE_ENCODER names " + nameAndView[0] + " twice with the same "
            + "view: '" + value + "' (one model may appear once per view: flip, noflip, crops, windows)");
      }
      out.add(spec);
    }
    return out;
  }

  // a block's view by its name in the settings: flip, noflip, crops or windows
  private static Optional<ImageModelSpec.View> view(String name) {
    return switch (name.trim().toLowerCase(Locale.ROOT)) {
      case "flip" -> Optional.of(ImageModelSpec.View.FLIP);
      case "noflip" -> Optional.of(ImageModelSpec.View.SINGLE);
      case "crops" -> Optional.of(ImageModelSpec.View.CROPS);
      case "windows" -> Optional.of(ImageModelSpec.View.WINDOWS);
      default -> Optional.empty();
    };
  }

  private static ImageModelSpec customImage(Function<String, Optional<String>> setting, Path file,
                                            ImageModelSpec defaults) {
    Optional<String> named = setting.apply("XMODAL_IMAGE_VIEW");
    if (named.isPresent() && setting.apply("XMODAL_IMAGE_FLIP_AVERAGE").isPresent()) {
      throw new IllegalArgumentException("set XMODAL_IMAGE_VIEW or XMODAL_IMAGE_FLIP_AVERAGE, not both "
          + "(XMODAL_IMAGE_VIEW=flip is XMODAL_IMAGE_FLIP_AVERAGE=true, noflip is false)");
    }
    ImageModelSpec.View view = named.isPresent()
        ? view(named.get()).orElseThrow(() -> new IllegalArgumentException("XMODAL_IMAGE_VIEW must be flip, "
            + "noflip, crops or windows, got '" + named.get().trim() + "'"))
        : ImageModelSpec.View.flipped(bool(setting, "XMODAL_IMAGE_FLIP_AVERAGE", FLIP_AVERAGE_DEFAULT));
    int size = integer(setting, "XMODAL_IMAGE_SIZE", defaults.width());
    return new ImageModelSpec(file,
        setting.apply("XMODAL_IMAGE_NAME").orElse(file.equals(defaults.file()) ? defaults.name() : stem(file)),
        setting.apply("XMODAL_IMAGE_INPUT").orElse(defaults.inputName()),
        setting.apply("XMODAL_IMAGE_OUTPUT").orElse(defaults.outputName()),
        integer(setting, "XMODAL_IMAGE_DIM", defaults.dimension()),
        size, size,
        floats(setting, "XMODAL_IMAGE_MEAN", defaults.mean()),
        floats(setting, "XMODAL_IMAGE_STD", defaults.std()),
        choice(setting, "XMODAL_IMAGE_LAYOUT", ImageModelSpec.Layout.class, defaults.layout()),
        view);
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
    return setting.apply(name).map(v -> parse(name, type, v)).orElse(fallback);
  }

  private static <E extends Enum<E>> E parse(String name, Class<E> type, String v) {
    try {
      return Enum.valueOf(type, v.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(name + " must be " + (type == TextModel.class || type == ImageModel.class
          ? "one or more (joined by commas) of " : "one of ") + Arrays.toString(type.getEnumConstants())
          .toLowerCase(Locale.ROOT) + ", got '" + v.trim() + "'");
    }
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
