package io.xmodal.platform.serde;

import java.util.Map;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Deserialises with a reader that may return any record class, and lets through only the topic's own type: a
 * record of another type fails here, at deserialisation, with a {@link WrongTypeException}, before any processor
 * casts it. Null (a tombstone) stays null.
 */
public final class TypedDeserializer<T> implements Deserializer<T> {

  private final Class<T> type;
  private final Deserializer<?> inner;

  public TypedDeserializer(Class<T> type, Deserializer<?> inner) {
    this.type = type;
    this.inner = inner;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    inner.configure(configs, isKey);
  }

  @Override
  public T deserialize(String topic, byte[] data) {
    return checked(topic, data == null ? null : inner.deserialize(topic, data));
  }

  @Override
  public T deserialize(String topic, Headers headers, byte[] data) {
    return checked(topic, data == null ? null : inner.deserialize(topic, headers, data));
  }

  private T checked(String topic, Object value) {
    if (value == null) {
      return null;
    }
    if (!type.isInstance(value)) {
      throw new WrongTypeException(topic, type, value.getClass());
    }
    return type.cast(value);
  }

  @Override
  public void close() {
    inner.close();
  }
}
