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
}
