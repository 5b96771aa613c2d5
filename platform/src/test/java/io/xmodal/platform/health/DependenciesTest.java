package io.xmodal.platform.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xmodal.platform.process.Ports;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class DependenciesTest {

  @Test
  void shouldWaitForARegistryThatComesUpLaterAndSayWhatItWaitsFor() throws Exception {
    // Given no registry on the port yet, and one that starts there 2 s from now
    int port = Ports.freePort();
    String api = "http://127.0.0.1:" + port + "/apis/registry/v2";
    List<String> status = new CopyOnWriteArrayList<>();
    AtomicReference<RegistryStub> started = new AtomicReference<>();
    ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
    later.schedule(() -> {
      started.set(RegistryStub.start(port));
      return null;
    }, 2, TimeUnit.SECONDS);
    try {
      long t0 = System.nanoTime();

      // When a service waits for it
      Dependencies.awaitRegistry(api, Dependencies.Wait.forever().reportingTo(status::add));

      // Then it returns once the registry answers, having said what it waited for and which setting names it
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isBetween(Duration.ofMillis(1500), Duration.ofSeconds(10));
      assertThat(status.get(0)).contains("schema registry at " + api).contains("connection refused")
          .contains("XMODAL_REGISTRY_URL");
      assertThat(status.get(status.size() - 1)).isEmpty();
    } finally {
      later.shutdownNow();
      if (started.get() != null) {
        started.get().close();
      }
    }
  }

  @Test
  void shouldGiveUpOnAnUnreachableRegistryWithTheEndpointAndTheSettingWhenLimited() {
    String api = "http://127.0.0.1:" + Ports.freePort() + "/apis/registry/v2";

    assertThatThrownBy(() -> Dependencies.awaitRegistry(api, Dependencies.Wait.upTo(Duration.ofSeconds(1))))
        .isInstanceOf(DependencyUnavailableException.class)
        .hasMessageContaining("the schema registry at " + api + " is unreachable (connection refused)")
        .hasMessageContaining("XMODAL_REGISTRY_URL");
  }

  @Test
  void shouldGiveUpOnAnUnreachableBrokerWithTheEndpointAndTheSettingWhenLimited() {
    String bootstrap = "127.0.0.1:" + Ports.freePort();

    assertThatThrownBy(() -> Dependencies.awaitBroker(Map.of("bootstrap.servers", bootstrap),
        Dependencies.Wait.upTo(Duration.ofSeconds(2))))
        .isInstanceOf(DependencyUnavailableException.class)
        .hasMessageContaining("the Kafka broker at " + bootstrap + " is unreachable")
        .hasMessageContaining("KAFKA_BOOTSTRAP_SERVERS");
  }

  @Test
  void shouldSayAtOnceWhenNoBootstrapAddressResolves() {
    assertThatThrownBy(() -> Dependencies.awaitBroker(Map.of("bootstrap.servers", "no-such-broker.invalid:9092"),
        Dependencies.Wait.forever()))
        .isInstanceOf(DependencyUnavailableException.class)
        .hasMessageContaining("no-such-broker.invalid:9092")
        .hasMessageContaining("KAFKA_BOOTSTRAP_SERVERS");
  }
}
