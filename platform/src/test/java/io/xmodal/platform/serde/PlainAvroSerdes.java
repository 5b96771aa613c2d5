package io.xmodal.platform.serde;

import io.xmodal.schemas.AvroTrust;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import io.xmodal.schemas.CaptionEvent;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.ImageEvent;
import io.xmodal.schemas.MappingModel;
import io.xmodal.schemas.MetricEvent;
import io.xmodal.schemas.Query;
import io.xmodal.schemas.QueryResult;
import io.xmodal.schemas.Rejection;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Avro serdes without a registry, for TopologyTestDriver tests: Avro single-object encoding (a 2-byte marker and the
 * schema fingerprint, then the body), so bytes that are not such a record fail to deserialise, as with the registry.
 * Like the registry's specific reader, it decodes whatever xmodal record the bytes name (by fingerprint) and then
 * lets only the topic's own type through ({@link TypedDeserializer}), so a record of another type fails as
 * {@link WrongTypeException}. The wire format against a real registry is covered by the end-to-end tests.
 */
public final class PlainAvroSerdes implements AvroSerdes {

  @Override
  public <T extends SpecificRecord> Serde<T> valueSerde(Class<T> type) {
    AvroTrust.trustXmodalSchemas();
    SpecificData model = SpecificData.getForClass(type);
    org.apache.avro.Schema schema = model.getSchema(type);
    BinaryMessageEncoder<T> encoder = new BinaryMessageEncoder<>(model, schema);
    BinaryMessageDecoder<T> decoder = new BinaryMessageDecoder<>(model, schema);
    Serializer<T> serializer = (topic, value) -> {
      if (value == null) {
        return null;
      }
      try {
        ByteBuffer buffer = encoder.encode(value);
        byte[] out = new byte[buffer.remaining()];
        buffer.get(out);
        return out;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
    Deserializer<Object> reader = (topic, bytes) -> {
      if (bytes == null) {
        return null;
      }
      BinaryMessageDecoder<?> writer = bytes.length >= 10 ? DECODERS.get(fingerprint(bytes)) : null;
      try {
        return (writer == null ? decoder : writer).decode(bytes);
      } catch (IOException | RuntimeException e) {
        throw new SerializationException("not a " + type.getSimpleName() + " in single-object encoding", e);
      }
    };
    return Serdes.serdeFrom(serializer, new TypedDeserializer<>(type, reader));
  }

  /** A decoder per xmodal event type, by its schema's fingerprint (what a registry's schema id stands for). */
  private static final Map<Long, BinaryMessageDecoder<?>> DECODERS = decoders();

  private static Map<Long, BinaryMessageDecoder<?>> decoders() {
    AvroTrust.trustXmodalSchemas();
    Map<Long, BinaryMessageDecoder<?>> out = new HashMap<>();
    for (Class<? extends SpecificRecord> c : List.of(ImageEvent.class, CaptionEvent.class, Rejection.class,
        Embedding.class, MappingModel.class, Query.class, QueryResult.class, MetricEvent.class)) {
      SpecificData model = SpecificData.getForClass(c);
      org.apache.avro.Schema schema = model.getSchema(c);
      out.put(SchemaNormalization.parsingFingerprint64(schema), new BinaryMessageDecoder<>(model, schema));
    }
    return Map.copyOf(out);
  }

  /** The single-object encoding's header: 0xC3 0x01, then the schema's 64-bit fingerprint, little-endian. */
  private static long fingerprint(byte[] bytes) {
    return ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }
}
