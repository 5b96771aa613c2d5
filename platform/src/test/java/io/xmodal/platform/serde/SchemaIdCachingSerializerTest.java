package io.xmodal.platform.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.schemas.CaptionEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;

class SchemaIdCachingSerializerTest {

  /** Stands in for the registry serializer: magic byte, a 4-byte id per topic, the Avro binary body; counts calls. */
  static final class FakeRegistry implements Serializer<CaptionEvent> {
    final List<String> calls = new ArrayList<>();

    @Override
    public byte[] serialize(String topic, CaptionEvent data) {
      calls.add(topic);
      return wire(topic.equals("a") ? 7 : 9, data);
    }
  }

  static byte[] wire(int id, CaptionEvent data) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(new byte[] {0, 0, 0, 0, (byte) id});
      BinaryEncoder e = EncoderFactory.get().binaryEncoder(out, null);
      new SpecificDatumWriter<>(CaptionEvent.class).write(data, e);
      e.flush();
      return out.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static CaptionEvent caption(String id, String text) {
    return CaptionEvent.newBuilder().setCaptionId(id).setImageId("img").setText(text).setSource("t")
        .setProducedAt(Instant.parse("2026-01-01T00:00:00Z")).build();
  }

  @org.junit.jupiter.api.BeforeAll
  static void trustTheSchemas() {
    io.xmodal.schemas.AvroTrust.trustXmodalSchemas();
  }

  @Test
  void shouldAskTheRegistryOncePerTopicAndWriteTheSameBytesAfterwards() {
    // Given the caching serializer in front of a registry serializer
    FakeRegistry registry = new FakeRegistry();
    SchemaIdCachingSerializer<CaptionEvent> serializer = new SchemaIdCachingSerializer<>(registry);

    // When records of one type go to two topics, several to each
    byte[] a1 = serializer.serialize("a", caption("c1", "a dog"));
    byte[] a2 = serializer.serialize("a", caption("c2", "two dogs on a beach"));
    byte[] a3 = serializer.serialize("a", caption("c3", ""));
    byte[] b1 = serializer.serialize("b", caption("c4", "a cat"));
    byte[] b2 = serializer.serialize("b", caption("c5", "a cat again"));

    // Then the registry was asked once per topic, and every record has the bytes the registry would have written
    assertThat(registry.calls).containsExactly("a", "b");
    assertThat(a1).isEqualTo(wire(7, caption("c1", "a dog")));
    assertThat(a2).isEqualTo(wire(7, caption("c2", "two dogs on a beach")));
    assertThat(a3).isEqualTo(wire(7, caption("c3", "")));
    assertThat(b1).isEqualTo(wire(9, caption("c4", "a cat")));
    assertThat(b2).isEqualTo(wire(9, caption("c5", "a cat again")));
    assertThat(serializer.serialize("a", null)).isNull();
  }
}
