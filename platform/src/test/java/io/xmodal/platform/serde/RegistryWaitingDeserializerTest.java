package io.xmodal.platform.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchException;

import io.xmodal.platform.health.DependencyFailures;
import io.xmodal.platform.health.RegistryStub;
import io.xmodal.platform.process.Ports;
import io.xmodal.schemas.ImageEvent;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class RegistryWaitingDeserializerTest {

  private static final ImageEvent EVENT = ImageEvent.newBuilder().setImageId("a.jpg")
      .setBytes(ByteBuffer.wrap(new byte[] {1, 2, 3})).setSource("t").setProducedAt(Instant.EPOCH).build();

  /** EVENT in the Confluent wire format under the stub's content id. */
  private static byte[] framed() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.write(ByteBuffer.allocate(4).putInt(RegistryStub.IMAGE_EVENT_ID).array());
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new SpecificDatumWriter<>(ImageEvent.class).write(EVENT, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  @Test
  void shouldHoldARecordUntilTheRegistryIsBackAndThenReadIt() throws Exception {
    // Given a registry that is down now and answers 2 s from now
    int port = Ports.freePort();
    String api = "http://127.0.0.1:" + port + "/apis/registry/v2";
    Deserializer<ImageEvent> reader = new RegistryAvroSerdes(api, Map.of(), Duration.ofSeconds(30))
        .valueSerde(ImageEvent.class).deserializer();
    byte[] record = framed();
    long t0 = System.nanoTime();

    // When a record whose schema is not cached is read
    CompletableFuture<ImageEvent> read = CompletableFuture.supplyAsync(
        () -> reader.deserialize("xmodal.images.raw", record));
    Thread.sleep(2000);
    assertThat(read).isNotDone();
    try (RegistryStub registry = RegistryStub.start(port)) {
      // Then it is read once the registry answers, not failed
      assertThat(read.get(20, TimeUnit.SECONDS)).isEqualTo(EVENT);
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
    }
  }

  @Test
  void shouldFailWithTheOutageOnceItHasWaitedLongEnough() throws Exception {
    String api = "http://127.0.0.1:" + Ports.freePort() + "/apis/registry/v2";
    Deserializer<ImageEvent> reader = new RegistryAvroSerdes(api, Map.of(), Duration.ofSeconds(2))
        .valueSerde(ImageEvent.class).deserializer();
    long t0 = System.nanoTime();

    Exception thrown = catchException(() -> reader.deserialize("xmodal.images.raw", framed()));

    assertThat(DependencyFailures.isRegistryOutage(thrown)).isTrue();
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isBetween(Duration.ofSeconds(2), Duration.ofSeconds(10));
  }
}
