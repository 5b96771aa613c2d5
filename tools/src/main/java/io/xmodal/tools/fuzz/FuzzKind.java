package io.xmodal.tools.fuzz;

import io.xmodal.schemas.RejectReason;

/**
 * The kinds of input a fuzz run publishes, each with the outcome it must have: accepted on a clean topic, dropped and
 * counted as a duplicate, passed on as a delete, or refused with a reason on the dead-letter topic.
 */
public enum FuzzKind {
  VALID_IMAGE(Expect.CLEAN, null, Target.IMAGES_RAW, 14),
  VALID_CAPTION(Expect.CLEAN, null, Target.CAPTIONS_RAW, 16),
  VALID_URI_IMAGE(Expect.CLEAN, null, Target.IMAGES_RAW, 2),
  DUPLICATE_IMAGE(Expect.DUPLICATE, null, Target.IMAGES_RAW, 3),
  DUPLICATE_CAPTION(Expect.DUPLICATE, null, Target.CAPTIONS_RAW, 3),
  TOMBSTONE_IMAGE(Expect.DELETE, null, Target.IMAGES_RAW, 2),
  TOMBSTONE_CAPTION(Expect.DELETE, null, Target.CAPTIONS_RAW, 2),
  KEYLESS_TOMBSTONE(Expect.DEAD_LETTER, RejectReason.MISSING_ID, Target.CAPTIONS_RAW, 1),
  TRUNCATED_JPEG(Expect.DEAD_LETTER, RejectReason.CORRUPT_IMAGE, Target.IMAGES_RAW, 4),
  NOT_AN_IMAGE(Expect.DEAD_LETTER, RejectReason.UNSUPPORTED_FORMAT, Target.IMAGES_RAW, 3),
  GIF(Expect.DEAD_LETTER, RejectReason.UNSUPPORTED_FORMAT, Target.IMAGES_RAW, 2),
  DECOMPRESSION_BOMB(Expect.DEAD_LETTER, RejectReason.TOO_MANY_PIXELS, Target.IMAGES_RAW, 2),
  OVERSIZED_IMAGE(Expect.DEAD_LETTER, RejectReason.IMAGE_TOO_LARGE, Target.IMAGES_RAW, 1),
  EMPTY_IMAGE(Expect.DEAD_LETTER, RejectReason.EMPTY_IMAGE, Target.IMAGES_RAW, 2),
  INVALID_UTF8(Expect.DEAD_LETTER, RejectReason.INVALID_UTF8, Target.CAPTIONS_RAW, 3),
  HUGE_CAPTION(Expect.DEAD_LETTER, RejectReason.CAPTION_TOO_LONG, Target.CAPTIONS_RAW, 2),
  BLANK_CAPTION(Expect.DEAD_LETTER, RejectReason.EMPTY_CAPTION, Target.CAPTIONS_RAW, 2),
  BLANK_ID(Expect.DEAD_LETTER, RejectReason.MISSING_ID, Target.IMAGES_RAW, 2),
  KEY_MISMATCH(Expect.DEAD_LETTER, RejectReason.KEY_MISMATCH, Target.CAPTIONS_RAW, 2),
  POISON_PILL(Expect.DEAD_LETTER, RejectReason.UNDESERIALIZABLE, Target.IMAGES_RAW, 3),
  TRUNCATED_AVRO(Expect.DEAD_LETTER, RejectReason.UNDESERIALIZABLE, Target.CAPTIONS_RAW, 2),
  FOREIGN_SCHEMA_ID(Expect.DEAD_LETTER, RejectReason.UNKNOWN_SCHEMA, Target.CAPTIONS_RAW, 2),
  WRONG_TYPE_ON_IMAGES(Expect.DEAD_LETTER, RejectReason.WRONG_TYPE, Target.IMAGES_RAW, 2),
  WRONG_TYPE_ON_CAPTIONS(Expect.DEAD_LETTER, RejectReason.WRONG_TYPE, Target.CAPTIONS_RAW, 2),
  WRONG_TYPE_ON_QUERIES(Expect.DEAD_LETTER, RejectReason.WRONG_TYPE, Target.QUERIES, 1),
  WRONG_TYPE_ON_EMBEDDINGS(Expect.DEAD_LETTER, RejectReason.WRONG_TYPE, Target.TEXT_EMBEDDINGS, 1),
  URI_OUTSIDE_ROOT(Expect.DEAD_LETTER, RejectReason.UNRESOLVABLE_URI, Target.IMAGES_RAW, 1),
  URI_THROUGH_LINK(Expect.DEAD_LETTER, RejectReason.UNRESOLVABLE_URI, Target.IMAGES_RAW, 2);

  /** What must become of an input. */
  public enum Expect { CLEAN, DUPLICATE, DELETE, DEAD_LETTER }

  /** Where it is published. */
  public enum Target { IMAGES_RAW, CAPTIONS_RAW, QUERIES, TEXT_EMBEDDINGS }

  private final Expect expect;
  private final RejectReason reason;
  private final Target target;
  private final int weight;

  FuzzKind(Expect expect, RejectReason reason, Target target, int weight) {
    this.expect = expect;
    this.reason = reason;
    this.target = target;
    this.weight = weight;
  }

  public Expect expect() {
    return expect;
  }

  /** The dead-letter reason, for {@link Expect#DEAD_LETTER}; null otherwise. */
  public RejectReason reason() {
    return reason;
  }

  public Target target() {
    return target;
  }

  /** Relative frequency in the seeded mix. */
  int weight() {
    return weight;
  }

  /** What the kind must produce, as a person reads it. */
  public String expectation() {
    return switch (expect) {
      case CLEAN -> "clean topic";
      case DUPLICATE -> "counted duplicate";
      case DELETE -> "tombstone on clean topic";
      case DEAD_LETTER -> "dead letter " + reason;
    };
  }
}
