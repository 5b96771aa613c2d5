package io.xmodal.platform.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A well-formed record of another event type than its topic carries (say a CaptionEvent on {@code xmodal.images.raw}):
 * the registry's specific reader builds whatever class the writer's schema names, so without this check the record
 * would reach a processor as the wrong class. The deserialization handler turns it into a {@code WRONG_TYPE} dead
 * letter.
 */
public final class WrongTypeException extends SerializationException {

  private final String expected;
  private final String actual;

  public WrongTypeException(String topic, Class<?> expected, Class<?> actual) {
    super("topic " + topic + " carries " + expected.getSimpleName() + " events, but this record is a "
        + actual.getSimpleName() + "; publish " + actual.getSimpleName() + " events to their own topic");
    this.expected = expected.getSimpleName();
    this.actual = actual.getSimpleName();
  }

  /** Simple name of the topic's event type. */
  public String expected() {
    return expected;
  }

  /** Simple name of the type the record was written as. */
  public String actual() {
    return actual;
  }
}
