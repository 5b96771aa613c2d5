package io.xmodal.platform.serde;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * A valid instance of any generated record class, every field at its type's zero (empty string, 0, the first enum
 * symbol, null where the union allows it): something to serialise so a serde registers and caches its schema before
 * real records need it.
 */
public final class AvroSamples {

  private AvroSamples() {}

  public static <T extends SpecificRecord> T of(Class<T> type) {
    SpecificData data = SpecificData.getForClass(type);
    Schema schema = data.getSchema(type);
    return type.cast(record(data, schema));
  }

  private static Object record(SpecificData data, Schema schema) {
    SpecificRecord r = (SpecificRecord) data.newRecord(null, schema);
    for (Schema.Field f : schema.getFields()) {
      r.put(f.pos(), zero(data, f.schema()));
    }
    return r;
  }

  private static Object zero(SpecificData data, Schema s) {
    LogicalType logical = s.getLogicalType();
    if (logical instanceof LogicalTypes.TimestampMillis || logical instanceof LogicalTypes.TimestampMicros) {
      return Instant.EPOCH;
    }
    return switch (s.getType()) {
      case RECORD -> record(data, s);
      case ENUM -> data.createEnum(s.getEnumSymbols().get(0), s);
      case ARRAY -> List.of();
      case MAP -> Map.of();
      case UNION -> s.getTypes().stream().anyMatch(t -> t.getType() == Schema.Type.NULL) ? null
          : zero(data, s.getTypes().get(0));
      case FIXED -> data.createFixed(null, new byte[s.getFixedSize()], s);
      case STRING -> "";
      case BYTES -> ByteBuffer.allocate(0);
      case INT -> 0;
      case LONG -> 0L;
      case FLOAT -> 0f;
      case DOUBLE -> 0d;
      case BOOLEAN -> false;
      case NULL -> null;
    };
  }
}
