package io.xmodal.ingest;

import io.xmodal.schemas.RejectReason;

/** The result of validating one raw event: accepted (possibly enriched), or refused with a reason. */
public sealed interface Verdict<V> {

  record Accepted<V>(V value, String contentHash) implements Verdict<V> {}

  record Refused<V>(RejectReason reason, String message) implements Verdict<V> {}

  static <V> Verdict<V> refuse(RejectReason reason, String message) {
    return new Refused<>(reason, message);
  }
}
