package io.xmodal.platform.streams;

import io.xmodal.schemas.MetricEvent;
import java.time.Instant;
import java.util.Map;

/** Builds {@link MetricEvent}s the same way in every service. */
public final class MetricEvents {

  private MetricEvents() {}

  /** A measurement over the window {@code [start, end]} (epoch millis), stamped at {@code end}. */
  public static MetricEvent of(String name, double value, String unit, Map<String, String> tags, long start, long end) {
    return MetricEvent.newBuilder()
        .setName(name)
        .setValue(value)
        .setUnit(unit)
        .setTags(Map.copyOf(tags))
        .setWindowStart(Instant.ofEpochMilli(start))
        .setWindowEnd(Instant.ofEpochMilli(end))
        .setTime(Instant.ofEpochMilli(end))
        .build();
  }
}
