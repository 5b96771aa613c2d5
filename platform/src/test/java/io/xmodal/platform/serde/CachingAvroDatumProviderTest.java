package io.xmodal.platform.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.schemas.CaptionEvent;
import java.io.IOException;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import org.apache.avro.Schema;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CachingAvroDatumProviderTest {

  @BeforeAll
  static void trustTheSchemas() {
    io.xmodal.schemas.AvroTrust.trustXmodalSchemas();
  }

  static CachingAvroDatumProvider<Object> provider() {
    CachingAvroDatumProvider<Object> p = new CachingAvroDatumProvider<>();
    p.setUseSpecificAvroReader(true);
    return p;
  }

  static Object read(DatumReader<Object> reader, byte[] wire) throws IOException {
    byte[] body = Arrays.copyOfRange(wire, SchemaIdCachingSerializer.HEADER_BYTES, wire.length);
    return reader.read(null, DecoderFactory.get().binaryDecoder(body, null));
  }

  @Test
  void shouldKeepOneReaderPerWriterSchemaAndThreadThatReadsEveryRecord() throws Exception {
    CachingAvroDatumProvider<Object> provider = provider();
    Schema writer = new Schema.Parser().parse(CaptionEvent.getClassSchema().toString());
    CaptionEvent first = CaptionEvent.newBuilder().setCaptionId("c1").setImageId("i1").setText("a dog runs")
        .setSource("t").setProducedAt(Instant.parse("2026-01-01T00:00:00Z")).build();
    CaptionEvent second = CaptionEvent.newBuilder(first).setCaptionId("c2").setText("two cats").build();

    // the same writer schema gives the same reader, and it decodes record after record into the specific class
    DatumReader<Object> reader = provider.createDatumReader(writer);
    assertThat(provider.createDatumReader(writer)).isSameAs(reader);
    assertThat(read(reader, SchemaIdCachingSerializerTest.wire(7, first))).isEqualTo(first);
    assertThat(read(provider.createDatumReader(writer), SchemaIdCachingSerializerTest.wire(7, second)))
        .isEqualTo(second);
    // another schema instance (another id) gets its own reader; another thread gets its own
    Schema other = new Schema.Parser().parse(CaptionEvent.getClassSchema().toString());
    assertThat(provider.createDatumReader(other)).isNotSameAs(reader);
    DatumReader<Object> elsewhere = CompletableFuture.supplyAsync(() -> provider.createDatumReader(writer)).get();
    assertThat(elsewhere).isNotSameAs(reader);
  }

  @Test
  void shouldNotGrowPastItsBoundWhenSchemaInstancesKeepChanging() {
    CachingAvroDatumProvider<Object> provider = provider();
    Schema kept = CaptionEvent.getClassSchema();
    DatumReader<Object> reader = provider.createDatumReader(kept);
    for (int i = 0; i < CachingAvroDatumProvider.MAX_READERS; i++) {
      provider.createDatumReader(new Schema.Parser().parse(CaptionEvent.getClassSchema().toString()));
    }
    // the map was emptied once it held MAX_READERS, so the first schema's reader is built again
    assertThat(provider.createDatumReader(kept)).isNotSameAs(reader);
  }

  static byte[] writeGeneric(Schema writer, java.util.function.Consumer<org.apache.avro.generic.GenericRecord> fill)
      throws IOException {
    org.apache.avro.generic.GenericRecord record = new org.apache.avro.generic.GenericData.Record(writer);
    fill.accept(record);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    org.apache.avro.io.BinaryEncoder encoder = org.apache.avro.io.EncoderFactory.get().binaryEncoder(out, null);
    new org.apache.avro.generic.GenericDatumWriter<org.apache.avro.generic.GenericRecord>(writer).write(record, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  @Test
  void shouldNameWhatTheReaderCannotResolveWhenTheWriterDroppedARequiredField() throws Exception {
    Schema writer = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"CaptionEvent\","
        + "\"namespace\":\"io.xmodal.schemas\",\"fields\":[{\"name\":\"captionId\",\"type\":\"string\"},"
        + "{\"name\":\"imageId\",\"type\":[\"null\",\"string\"],\"default\":null},"
        + "{\"name\":\"producedAt\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}}]}");
    byte[] body = writeGeneric(writer, r -> {
      r.put("captionId", "c1");
      r.put("producedAt", 0L);
    });

    DatumReader<Object> reader = provider().createDatumReader(writer);

    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> reader.read(null, DecoderFactory.get().binaryDecoder(body, null)))
        .isInstanceOfSatisfying(IncompatibleSchemaException.class, e -> {
          assertThat(e.fields()).containsExactly("text");
          assertThat(e.problems()).extracting(IncompatibleSchemaException.Problem::kind)
              .containsExactly("READER_FIELD_MISSING_DEFAULT_VALUE");
          assertThat(e.writerName()).isEqualTo("io.xmodal.schemas.CaptionEvent");
          assertThat(e.getMessage()).contains("text");
        });
  }

  @Test
  void shouldNameARetypedField() throws Exception {
    String json = CaptionEvent.getClassSchema().toString().replace(
        "{\"name\":\"text\",\"type\":{\"type\":\"string\",\"avro.java.string\":\"String\"}", "{\"name\":\"text\",\"type\":\"int\"");
    Schema writer = new Schema.Parser().parse(json);
    assertThat(writer.getField("text").schema().getType()).isEqualTo(Schema.Type.INT);
    byte[] body = writeGeneric(writer, r -> {
      r.put("captionId", "c1");
      r.put("text", 42);
      r.put("language", "en");
      r.put("source", "t");
      r.put("producedAt", 0L);
    });

    DatumReader<Object> reader = provider().createDatumReader(writer);

    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> reader.read(null, DecoderFactory.get().binaryDecoder(body, null)))
        .isInstanceOfSatisfying(IncompatibleSchemaException.class, e -> {
          assertThat(e.fields()).containsExactly("text");
          assertThat(e.problems()).extracting(IncompatibleSchemaException.Problem::kind).containsExactly("TYPE_MISMATCH");
        });
  }

  @Test
  void shouldLeaveABadBodyUnderACompatibleSchemaAsItIs() {
    DatumReader<Object> reader = provider().createDatumReader(CaptionEvent.getClassSchema());
    byte[] garbage = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 1};

    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> reader.read(null, DecoderFactory.get().binaryDecoder(garbage, null)))
        .isNotInstanceOf(IncompatibleSchemaException.class);
  }

  @Test
  void shouldRefuseARecordNamedUnlikeAnyXmodalEvent() {
    Schema writer = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Caption\",\"namespace\":\"com.acme\","
        + "\"fields\":[{\"name\":\"captionId\",\"type\":\"string\"}]}");

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> provider().createDatumReader(writer))
        .isInstanceOfSatisfying(IncompatibleSchemaException.class, e -> assertThat(e.getMessage())
            .contains("com.acme.Caption").contains("NAME_MISMATCH"));
  }
}
