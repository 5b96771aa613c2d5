package io.xmodal.ingest;

import io.xmodal.platform.config.ConfigException;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.streams.RejectionFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Settings of the ingest service.
 *
 * @param applicationId   {@code XMODAL_INGEST_APPLICATION_ID}, default {@code xmodal-ingest}
 * @param maxImageBytes   {@code XMODAL_INGEST_MAX_IMAGE_BYTES}, largest accepted image file, default 5 MiB
 * @param maxPixels       {@code XMODAL_INGEST_MAX_PIXELS}, width × height read from the header before decoding,
 *                        default 40 million (a decompression bomb is refused before it is decoded)
 * @param maxCaptionChars {@code XMODAL_INGEST_MAX_CAPTION_CHARS}, in Unicode code points, default 1000
 * @param uriRoot         {@code XMODAL_INGEST_URI_ROOT}: the folder whose {@code file:} URIs ingest may read;
 *                        unset means images must carry their bytes
 * @param dlqPayloadCap   {@code XMODAL_DLQ_PAYLOAD_CAP}, bytes of the original kept in a dead letter, default 64 KiB
 * @param metricsInterval how often the accepted/rejected/duplicate counters are published
 */
public record IngestConfig(String applicationId, long maxImageBytes, long maxPixels, int maxCaptionChars,
                           Optional<Path> uriRoot, int dlqPayloadCap, Duration metricsInterval) {

  public static IngestConfig from(ConfigSource source, PlatformConfig platform) {
    IngestConfig c = new IngestConfig(
        source.string("XMODAL_INGEST_APPLICATION_ID", "xmodal-ingest"),
        source.longValue("XMODAL_INGEST_MAX_IMAGE_BYTES", 5L * 1024 * 1024),
        source.longValue("XMODAL_INGEST_MAX_PIXELS", 40_000_000L),
        source.positiveInt("XMODAL_INGEST_MAX_CAPTION_CHARS", 1000),
        source.get("XMODAL_INGEST_URI_ROOT").map(p -> Path.of(p).toAbsolutePath().normalize()),
        source.positiveInt("XMODAL_DLQ_PAYLOAD_CAP", RejectionFactory.DEFAULT_PAYLOAD_CAP),
        platform.metricsInterval());
    if (c.maxImageBytes() > platform.topics().maxMessageBytes() - 64 * 1024) {
      throw new ConfigException("XMODAL_INGEST_MAX_IMAGE_BYTES (" + c.maxImageBytes() + ") must leave room under "
          + "XMODAL_MAX_MESSAGE_BYTES (" + platform.topics().maxMessageBytes() + "); lower one or raise the other");
    }
    return c;
  }
}
