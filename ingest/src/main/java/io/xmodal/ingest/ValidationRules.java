package io.xmodal.ingest;

import java.time.Instant;

/** What ingest checks for one kind of event. Implementations are stateless and thread-safe. */
public interface ValidationRules<V> {

  /** "images" or "captions": names stores, nodes and metrics. */
  String kind();

  /** Validates a raw event keyed by {@code key}; an accepted one comes back enriched (hash, time, …). */
  Verdict<V> validate(String key, V value, Instant now);

  /** The content hash of an event {@link #validate} accepted (it carries it): what a duplicate repeats. */
  String contentHash(V accepted);
}
