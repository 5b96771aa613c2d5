package io.xmodal.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.process.ListeningSockets;
import io.xmodal.platform.process.Ports;
import io.xmodal.platform.serde.RegistryAvroSerdes;
import io.xmodal.platform.topics.TopicAdmin;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.ImageEvent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Tag("e2e")
@Timeout(300)
class EmbeddedRuntimeIT {

  @TempDir
  Path work;

  private PlatformConfig config(int broker, int controller, int registry) {
    return PlatformConfig.from(ConfigSource.of(Map.of(
        "XMODAL_WORK_DIR", work.toString(),
        "XMODAL_BROKER_PORT", Integer.toString(broker),
        "XMODAL_CONTROLLER_PORT", Integer.toString(controller),
        "XMODAL_REGISTRY_PORT", Integer.toString(registry),
        "XMODAL_PARTITIONS", "2")));
  }

  @Test
  void shouldServeAvroThroughTheRegistryAndResumeOnTheSameDataAfterARestart() throws Exception {
    PlatformConfig config = config(Ports.freePort(), Ports.freePort(), Ports.freePort());
    ImageEvent sent = ImageEvent.newBuilder().setImageId("img-1").setBytes(ByteBuffer.wrap(new byte[] {1, 2, 3}))
        .setSource("test").setProducedAt(Instant.ofEpochMilli(1_700_000_000_000L)).build();

    // Given a fresh runtime, when a record is produced through the registry serdes
    try (EmbeddedRuntime runtime = EmbeddedRuntime.start(config, Optional.empty(), Duration.ofSeconds(120))) {
      TopicCatalogue topics = TopicCatalogue.create(config.topics(), new RegistryAvroSerdes(runtime.registry().apiUrl()));
      List<String> created = TopicAdmin.ensureTopics(
          Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, runtime.bootstrapServers()), topics, Duration.ofSeconds(30));
      assertThat(created).hasSize(topics.all().size());
      try (KafkaProducer<String, ImageEvent> producer = new KafkaProducer<>(Map.of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, runtime.bootstrapServers()),
          topics.imagesRaw().keySerde().serializer(), topics.imagesRaw().valueSerde().serializer())) {
        producer.send(new ProducerRecord<>(topics.imagesRaw().name(), "img-1", sent)).get();
      }
      // then the schema is visible through the Confluent-compatible API
      String subjects = get(runtime.registry().confluentUrl() + "/subjects");
      assertThat(subjects).contains("xmodal.images.raw-value");
      // and the record is in the Confluent wire format: magic byte 0, then a 4-byte id that API resolves
      byte[] raw = firstRawValue(runtime.bootstrapServers(), topics.imagesRaw().name());
      assertThat(raw[0]).isEqualTo((byte) 0);
      int schemaId = ByteBuffer.wrap(raw, 1, 4).getInt();
      assertThat(get(runtime.registry().confluentUrl() + "/schemas/ids/" + schemaId)).contains("ImageEvent");
    }

    // Given the same work directory, when the runtime starts again
    try (EmbeddedRuntime runtime = EmbeddedRuntime.start(config, Optional.empty(), Duration.ofSeconds(120))) {
      TopicCatalogue topics = TopicCatalogue.create(config.topics(), new RegistryAvroSerdes(runtime.registry().apiUrl()));
      List<String> created = TopicAdmin.ensureTopics(
          Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, runtime.bootstrapServers()), topics, Duration.ofSeconds(30));
      // then topics, record and schema id all survived
      assertThat(created).isEmpty();
      Properties props = new Properties();
      props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, runtime.bootstrapServers());
      props.put(ConsumerConfig.GROUP_ID_CONFIG, "embedded-runtime-it");
      props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      List<ImageEvent> received = new ArrayList<>();
      try (KafkaConsumer<String, ImageEvent> consumer = new KafkaConsumer<>(props,
          topics.imagesRaw().keySerde().deserializer(), topics.imagesRaw().valueSerde().deserializer())) {
        consumer.subscribe(List.of(topics.imagesRaw().name()));
        long deadline = System.currentTimeMillis() + 30_000;
        while (received.isEmpty() && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<String, ImageEvent> r : consumer.poll(Duration.ofMillis(500))) {
            received.add(r.value());
          }
        }
      }
      assertThat(received).containsExactly(sent);
    }
  }

  @Test
  void shouldListenOnLoopbackOnlyInTheBrokerAndTheRegistryProcess() throws Exception {
    assumeTrue(ListeningSockets.supported(), "reads the sockets from Linux /proc");
    int brokerPort = Ports.freePort();
    int controllerPort = Ports.freePort();
    int registryPort = Ports.freePort();
    PlatformConfig config = config(brokerPort, controllerPort, registryPort);

    // Given the embedded runtime on its default bind host
    try (EmbeddedRuntime runtime = EmbeddedRuntime.start(config, Optional.empty(), Duration.ofSeconds(120))) {
      // When every socket its two child processes listen on is read from the kernel
      List<ListeningSockets.Socket> broker = ListeningSockets.of(runtime.broker().process().pid());
      List<ListeningSockets.Socket> registry = ListeningSockets.of(runtime.registry().process().pid());

      // Then the broker listens on its client and controller ports, nothing else; the registry on its HTTP port
      // (and, from its first database transaction on, Narayana's transaction status manager on "localhost" at a
      // port of its own choosing: Quarkus fixes Narayana's settings at build time, so no -D flag turns it off)
      assertThat(broker).as("broker sockets %s", broker).extracting(ListeningSockets.Socket::port)
          .containsExactlyInAnyOrder(brokerPort, controllerPort);
      assertThat(registry).as("registry sockets %s", registry).extracting(ListeningSockets.Socket::port)
          .contains(registryPort);
      // and not one of them on a wildcard or any other non-loopback address
      assertThat(broker).as("broker sockets").allMatch(ListeningSockets.Socket::isLoopback);
      assertThat(registry).as("registry sockets %s", registry).allMatch(ListeningSockets.Socket::isLoopback);
    }
  }

  @Test
  void shouldNameThePortAndTheSettingWhenAPortIsTaken() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 0, java.net.InetAddress.getByName("127.0.0.1"))) {
      PlatformConfig config = config(taken.getLocalPort(), Ports.freePort(), Ports.freePort());

      assertThatThrownBy(() -> EmbeddedRuntime.start(config, Optional.empty(), Duration.ofSeconds(60)))
          .isInstanceOf(Ports.PortInUseException.class)
          .hasMessageContaining("port " + taken.getLocalPort())
          .hasMessageContaining("XMODAL_BROKER_PORT");
    }
  }

  private static byte[] firstRawValue(String bootstrap, String topic) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "raw-reader");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props,
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.currentTimeMillis() + 30_000;
      while (System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          return r.value();
        }
      }
    }
    throw new AssertionError("no record on " + topic);
  }

  private static String get(String url) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }
}
