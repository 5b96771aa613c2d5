package io.xmodal.platform.streams;

import io.xmodal.schemas.MetricEvent;
import io.xmodal.schemas.Rejection;

/**
 * What a processing step emits when it can succeed, refuse, or report: {@link OutcomeRoutes} sends each kind to its
 * own topic, so one processor can feed a clean topic, the dead-letter topic and the metrics topic.
 */
public sealed interface Outcome<V> {

  /** A result: goes to the step's output topic. */
  record Accepted<V>(V value) implements Outcome<V> {}

  /** A refused input: goes to the dead-letter topic. */
  record Refused<V>(Rejection rejection) implements Outcome<V> {}

  /** A measurement: goes to the metrics topic. */
  record Metric<V>(MetricEvent metric) implements Outcome<V> {}
}
