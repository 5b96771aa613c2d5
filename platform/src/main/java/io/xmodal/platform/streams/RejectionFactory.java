package io.xmodal.platform.streams;

import io.xmodal.schemas.RejectReason;
import io.xmodal.schemas.Rejection;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Builds dead letters. The payload is the original value, capped at {@code payloadCap} bytes: the raw Kafka value
 * when it could not be deserialised, the record in Avro single-object encoding when it was refused on content.
 *
 * @param service    application.id of the service that rejects
 * @param payloadCap most payload bytes kept ({@code XMODAL_DLQ_PAYLOAD_CAP}, default 64 KiB)
 */
public record RejectionFactory(String service, int payloadCap) {

  public static final int DEFAULT_PAYLOAD_CAP = 64 * 1024;

  public Rejection create(Source source, RejectReason reason, String message, byte[] payload, Instant now) {
    byte[] original = payload == null ? new byte[0] : payload;
    boolean truncated = original.length > payloadCap;
    byte[] kept = truncated ? Arrays.copyOf(original, payloadCap) : original;
    return Rejection.newBuilder()
        .setSourceTopic(source.topic())
        .setSourcePartition(source.partition())
        .setSourceOffset(source.offset())
        .setKey(source.key())
        .setReason(reason)
        .setMessage(message)
        .setPayload(payload == null ? null : ByteBuffer.wrap(kept))
        .setPayloadSize(original.length)
        .setPayloadTruncated(truncated)
        .setService(service)
        .setRejectedAt(now)
        .build();
  }

  /**
   * A refused record's own bytes in Avro single-object encoding (a marker, its schema's fingerprint, the body), so a
   * dead letter can be decoded and replayed without the registry; null if it cannot be encoded.
   */
  public static byte[] payloadOf(SpecificRecord record) {
    if (record == null) {
      return null;
    }
    BinaryMessageEncoder<SpecificRecord> encoder = ENCODERS.computeIfAbsent(record.getSchema(),
        schema -> new BinaryMessageEncoder<>(SpecificData.getForClass(record.getClass()), schema));
    try {
      ByteBuffer buffer = encoder.encode(record);
      byte[] out = new byte[buffer.remaining()];
      buffer.get(out);
      return out;
    } catch (IOException e) {
      return null;
    }
  }

  private static final Map<Schema, BinaryMessageEncoder<SpecificRecord>> ENCODERS = new ConcurrentHashMap<>();

  /** Where the refused record came from. Offsets are -1 when unknown (e.g. a punctuation). */
  public record Source(String topic, int partition, long offset, String key) {

    public static Source of(String topic, int partition, long offset, byte[] rawKey) {
      return new Source(topic == null ? "" : topic, partition, offset,
          rawKey == null ? null : new String(rawKey, StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
      return topic + "-" + partition + "@" + offset + (key == null ? "" : " key=" + key);
    }
  }
}
