package io.xmodal.platform.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The registry serializer, with its schema lookup done once per topic and schema instead of once per record.
 * Apicurio's serializer derives every record's schema from the record's JSON text ({@code Schema.toString}) before
 * it finds the cached id: a fifth of encode-stream's thread on captions. The first record of a topic and schema goes
 * through it (registering the schema if need be); its first five bytes (magic byte 0 and the 4-byte schema id: the
 * Confluent wire format, see {@link RegistryAvroSerdes}) are kept, and later records are written as that header
 * followed by the Avro binary body of a {@link SpecificDatumWriter}: the very bytes the registry serializer writes.
 */
final class SchemaIdCachingSerializer<T extends SpecificRecord> implements Serializer<T> {

  static final int HEADER_BYTES = 5;

  private final Serializer<T> registry;
  private final Map<Key, byte[]> headers = new ConcurrentHashMap<>();
  private final Map<Schema, DatumWriter<T>> writers = new ConcurrentHashMap<>();

  /** A topic and a schema instance (a generated class's {@code SCHEMA$}; identity is enough and cheap). */
  private record Key(String topic, Schema schema) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.schema == schema && k.topic.equals(topic);
    }

    @Override
    public int hashCode() {
      return 31 * topic.hashCode() + System.identityHashCode(schema);
    }
  }

  SchemaIdCachingSerializer(Serializer<T> registry) {
    this.registry = registry;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    registry.configure(configs, isKey);
  }

  @Override
  public byte[] serialize(String topic, T data) {
    if (data == null) {
      return null;
    }
    Schema schema = data.getSchema();
    Key key = new Key(topic, schema);
    byte[] header = headers.get(key);
    if (header == null) {
      byte[] first = registry.serialize(topic, data);
      if (first != null && first.length >= HEADER_BYTES && first[0] == 0) {
        headers.putIfAbsent(key, Arrays.copyOf(first, HEADER_BYTES));
      }
      return first;
    }
    return write(header, schema, data);
  }

  @Override
  public byte[] serialize(String topic, Headers kafkaHeaders, T data) {
    return serialize(topic, data);
  }

  private byte[] write(byte[] header, Schema schema, T data) {
    DatumWriter<T> writer = writers.computeIfAbsent(schema, SpecificDatumWriter::new);
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    out.write(header, 0, header.length);
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
    try {
      writer.write(data, encoder);
      encoder.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  @Override
  public void close() {
    registry.close();
  }
}
