package io.xmodal.platform.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchException;

import io.xmodal.platform.process.Ports;
import io.xmodal.platform.serde.RegistryAvroSerdes;
import io.xmodal.schemas.ImageEvent;
import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

public class DependencyFailuresTest {

  public static final byte[] FRAMED = ByteBuffer.allocate(13).put((byte) 0).putInt(4242).putLong(7L).array();

  /** What Apicurio's deserializer really throws for a framed record when the registry is at {@code apiUrl}. */
  public static Exception deserialising(String apiUrl) {
    return catchException(() -> new RegistryAvroSerdes(apiUrl, java.util.Map.of(), java.time.Duration.ZERO)
        .valueSerde(ImageEvent.class).deserializer().deserialize("xmodal.images.raw", FRAMED));
  }

  @Test
  void shouldRecogniseARegistryThatRefusesTheConnection() {
    Exception thrown = deserialising("http://127.0.0.1:" + Ports.freePort() + "/apis/registry/v2");

    assertThat(DependencyFailures.classify(new StreamsException(thrown)))
        .hasValueSatisfying(f -> {
          assertThat(f.dependency()).isEqualTo(Dependency.REGISTRY);
          assertThat(f.reason()).contains("connection refused");
        });
  }

  @Test
  void shouldRecogniseARegistryHostThatDoesNotResolve() {
    Exception thrown = deserialising("http://no-such-registry.invalid:8080/apis/registry/v2");

    assertThat(DependencyFailures.classify(thrown)).map(DependencyFailures.Failure::dependency)
        .contains(Dependency.REGISTRY);
  }

  @Test
  void shouldNotMistakeAnIdTheRegistryDoesNotKnowForAnOutage() throws Exception {
    try (RegistryStub registry = RegistryStub.start(0)) {
      Exception thrown = deserialising(registry.apiUrl());

      assertThat(thrown).hasStackTraceContaining("No content with id '4242'");
      assertThat(DependencyFailures.classify(thrown)).isEmpty();
    }
  }

  @Test
  void shouldRecogniseABrokerThatDoesNotAnswer() {
    Exception thrown = new StreamsException(new TimeoutException("Timed out waiting for a node assignment"));

    assertThat(DependencyFailures.classify(thrown)).map(DependencyFailures.Failure::dependency)
        .contains(Dependency.BROKER);
  }

  @Test
  void shouldLeaveBadDataAlone() {
    assertThat(DependencyFailures.classify(new SerializationException("Unknown magic byte!"))).isEmpty();
    assertThat(DependencyFailures.classify(new IllegalStateException("boom"))).isEmpty();
  }
}
