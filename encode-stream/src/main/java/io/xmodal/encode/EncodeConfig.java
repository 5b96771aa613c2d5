package io.xmodal.encode;

import io.xmodal.encoders.DeviceChoice;
import io.xmodal.encoders.image.ImageModelSpec;
import io.xmodal.encoders.text.TextEncoder;
import io.xmodal.encoders.text.TextModel;
import io.xmodal.platform.config.ConfigException;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.streams.RejectionFactory;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Settings of encode-stream.
 *
 * @param applicationId   {@code XMODAL_ENCODE_APPLICATION_ID}, default {@code xmodal-encode}
 * @param batchSize       {@code XMODAL_ENCODE_BATCH_SIZE}: encode when this many records wait, default 32
 * @param maxWait         {@code XMODAL_ENCODE_MAX_WAIT}: or when the oldest has waited this long, default 200ms
 * @param device          {@code XMODAL_DEVICE}: auto (GPU when there is one), cpu or gpu
 * @param threads         {@code XMODAL_ENCODE_THREADS}: ONNX Runtime intra-op threads per session, default 1 (on
 *                        2 cores more threads spin-wait against the stream thread and the broker and run slower;
 *                        0 = ONNX Runtime's default, one per core)
 * @param textModel       {@code XMODAL_TEXT_MODEL}: minilm_l6_v2 (default) or minilm_l6_v2_q (int8)
 * @param maxTokens       {@code XMODAL_TEXT_MAX_TOKENS}: longer captions are truncated, default 256
 * @param image           the image model: {@code XMODAL_IMAGE_MODEL} (path, default
 *                        {@code <shared>/models/mobilenetv2-12-int8-features.onnx}), {@code XMODAL_IMAGE_INPUT},
 *                        {@code XMODAL_IMAGE_OUTPUT}, {@code XMODAL_IMAGE_DIM}, {@code XMODAL_IMAGE_SIZE},
 *                        {@code XMODAL_IMAGE_MEAN}, {@code XMODAL_IMAGE_STD}, {@code XMODAL_IMAGE_LAYOUT}
 * @param modelCache      where model files extracted from jars are kept ({@code <work>/models})
 * @param dlqPayloadCap   bytes of a refused record kept in its dead letter
 * @param metricsInterval how often throughput metrics are published
 * @param commitInterval  {@code XMODAL_ENCODE_COMMIT_INTERVAL}: how often encode-stream commits its transaction,
 *                        default 1s (exactly-once commits cost a flush and two broker round trips; at the default
 *                        100 ms they took a sixth of the throughput on 2 cores)
 */
public record EncodeConfig(String applicationId, int batchSize, Duration maxWait, DeviceChoice device, int threads,
                           TextModel textModel, int maxTokens, ImageModelSpec image, Path modelCache,
                           int dlqPayloadCap, Duration metricsInterval, Duration commitInterval) {

  public static EncodeConfig from(ConfigSource source, PlatformConfig platform) {
    ImageModelSpec defaults = ImageModelSpec.mobileNetV2Features(platform.sharedDir().resolve("models"));
    Path file = source.path("XMODAL_IMAGE_MODEL", defaults.file());
    int size = source.positiveInt("XMODAL_IMAGE_SIZE", defaults.width());
    ImageModelSpec image = new ImageModelSpec(file,
        source.string("XMODAL_IMAGE_NAME", file.equals(defaults.file()) ? defaults.name() : stem(file)),
        source.string("XMODAL_IMAGE_INPUT", defaults.inputName()),
        source.string("XMODAL_IMAGE_OUTPUT", defaults.outputName()),
        source.positiveInt("XMODAL_IMAGE_DIM", defaults.dimension()),
        size, size,
        floats(source, "XMODAL_IMAGE_MEAN", defaults.mean()),
        floats(source, "XMODAL_IMAGE_STD", defaults.std()),
        source.enumValue("XMODAL_IMAGE_LAYOUT", ImageModelSpec.Layout.class, defaults.layout()));
    return new EncodeConfig(
        source.string("XMODAL_ENCODE_APPLICATION_ID", "xmodal-encode"),
        source.positiveInt("XMODAL_ENCODE_BATCH_SIZE", 32),
        source.duration("XMODAL_ENCODE_MAX_WAIT", Duration.ofMillis(200)),
        source.enumValue("XMODAL_DEVICE", DeviceChoice.class, DeviceChoice.AUTO),
        source.integer("XMODAL_ENCODE_THREADS", 1),
        source.enumValue("XMODAL_TEXT_MODEL", TextModel.class, TextModel.MINILM_L6_V2),
        source.positiveInt("XMODAL_TEXT_MAX_TOKENS", TextEncoder.DEFAULT_MAX_TOKENS),
        image,
        platform.workDir().resolve("models"),
        source.positiveInt("XMODAL_DLQ_PAYLOAD_CAP", RejectionFactory.DEFAULT_PAYLOAD_CAP),
        platform.metricsInterval(),
        source.duration("XMODAL_ENCODE_COMMIT_INTERVAL", Duration.ofSeconds(1)));
  }

  /** The streams properties of encode-stream: the platform's, with its own commit interval. */
  public java.util.Properties streamsProperties(PlatformConfig platform,
                                                io.xmodal.platform.topics.TopicCatalogue topics) {
    java.util.Properties p = io.xmodal.platform.streams.StreamsSettings.properties(platform, applicationId, topics,
        dlqPayloadCap);
    if (!platform.kafkaClient().containsKey("commit.interval.ms")) {
      p.put("commit.interval.ms", commitInterval.toMillis());
    }
    return p;
  }

  private static String stem(Path file) {
    String n = file.getFileName().toString();
    return n.endsWith(".onnx") ? n.substring(0, n.length() - 5) : n;
  }

  private static float[] floats(ConfigSource source, String name, float[] fallback) {
    return source.get(name).map(v -> {
      String[] parts = v.split(",");
      if (parts.length != 3) {
        throw new ConfigException(name + " must be three comma-separated numbers (R,G,B), got '" + v + "'");
      }
      float[] out = new float[3];
      for (int i = 0; i < 3; i++) {
        try {
          out[i] = Float.parseFloat(parts[i].trim());
        } catch (NumberFormatException e) {
          throw new ConfigException(name + " must be three comma-separated numbers (R,G,B), got '" + v + "'");
        }
      }
      return out;
    }).orElse(fallback);
  }
}
