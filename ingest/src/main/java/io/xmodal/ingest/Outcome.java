package io.xmodal.ingest;

import io.xmodal.schemas.MetricEvent;
import io.xmodal.schemas.Rejection;

/** What the validate-and-deduplicate step emits; the topology routes each kind to its own topic. */
public sealed interface Outcome<V> {

  /** A valid event seen for the first time (or with new content): goes to the clean topic. */
  record Accepted<V>(V value) implements Outcome<V> {}

  /** A refused event: goes to the dead-letter topic. */
  record Refused<V>(Rejection rejection) implements Outcome<V> {}

  /** A counter update: goes to the metrics topic. */
  record Metric<V>(MetricEvent metric) implements Outcome<V> {}
}
