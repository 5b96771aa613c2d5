package io.xmodal.app.cli;

import io.xmodal.platform.config.ConfigSource;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The same ingest scenario against a Kafka broker and an Apicurio registry in containers, the way they run in a
 * real deployment. Skips itself where no Docker engine is available; {@link IngestEndToEndIT} covers the same path
 * on the embedded default.
 */
@Tag("e2e")
@Timeout(900)
@Testcontainers(disabledWithoutDocker = true)
class IngestContainersIT {

  @Container
  static final KafkaContainer KAFKA = new KafkaContainer(DockerImageName.parse("apache/kafka:4.1.0"));

  @Container
  static final GenericContainer<?> REGISTRY =
      new GenericContainer<>(DockerImageName.parse("quay.io/apicurio/apicurio-registry-mem:2.6.13.Final"))
          .withExposedPorts(8080)
          .waitingFor(Wait.forHttp("/apis/ccompat/v7/subjects").forStatusCode(200));

  @TempDir
  Path work;

  @Test
  void shouldAccountForEveryRecordAgainstContainers() throws Exception {
    ConfigSource source = ConfigSource.of(Map.of(
        "XMODAL_WORK_DIR", work.toString(),
        "KAFKA_BOOTSTRAP_SERVERS", KAFKA.getBootstrapServers(),
        "XMODAL_REGISTRY_URL", "http://" + REGISTRY.getHost() + ":" + REGISTRY.getMappedPort(8080),
        "XMODAL_REPLICATION_FACTOR", "1",
        "XMODAL_INGEST_MAX_IMAGE_BYTES", Long.toString(IngestScenario.MAX_IMAGE_BYTES),
        "XMODAL_METRICS_INTERVAL", "1s"));

    try (Stack stack = Stack.start(source, java.util.Set.of(Stack.Service.INGEST))) {
      new IngestScenario(stack.config(), stack.topics()).run();
    }
  }
}
