package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.embedded.EmbeddedBroker;
import io.xmodal.embedded.EmbeddedRegistry;
import io.xmodal.ingest.IngestConfig;
import io.xmodal.ingest.IngestTopology;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.health.Dependencies;
import io.xmodal.platform.process.Ports;
import io.xmodal.platform.serde.RegistryAvroSerdes;
import io.xmodal.platform.streams.ServiceRunner;
import io.xmodal.platform.streams.StreamsService;
import io.xmodal.platform.streams.StreamsSettings;
import io.xmodal.platform.topics.TopicAdmin;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.CaptionEvent;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A service started before what it needs: the registry not up yet, the topics not created (a deployment with
 * {@code XMODAL_CREATE_TOPICS=false}); then a source topic deleted under the running service and created again. The
 * start path is the one every deployable's {@code main} and {@code ./xmodal up} use ({@link ServiceRunner#prepare}).
 * Figures are printed on lines starting with {@code outage-measure:}.
 */
@Tag("e2e")
@Timeout(300)
class DependencyStartIT {

  @TempDir
  Path work;

  private EmbeddedBroker broker;
  private EmbeddedRegistry registry;
  private StreamsService ingest;
  private final ExecutorService background = Executors.newSingleThreadExecutor();

  @AfterEach
  void stopEverything() {
    background.shutdownNow();
    if (ingest != null) {
      ingest.close(Duration.ofSeconds(10));
    }
    if (registry != null) {
      registry.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void shouldWaitForTheRegistryAndTheTopicsThenRunAndComeBackWhenASourceTopicReturns() throws Exception {
    ConfigSource base = ConfigSource.of(Map.of(
        "XMODAL_WORK_DIR", work.toString(),
        "XMODAL_BROKER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_CONTROLLER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_REGISTRY_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_METRICS_INTERVAL", "1s"));
    PlatformConfig embedded = PlatformConfig.from(base);
    broker = EmbeddedBroker.start(embedded.embedded(), work.resolve("kafka"), embedded.topics().maxMessageBytes(),
        work.resolve("logs").resolve("broker.log"));
    broker.awaitReady(Duration.ofMinutes(2));
    String registryApi = "http://" + embedded.embedded().bindHost() + ":" + embedded.embedded().registryPort()
        + "/apis/registry/v2";
    ConfigSource source = base.with(Map.of("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
        "XMODAL_REGISTRY_URL", registryApi));
    PlatformConfig config = PlatformConfig.from(source);

    // Given a service starting while the registry is down and the topics do not exist
    List<String> status = new CopyOnWriteArrayList<>();
    Future<ServiceRunner.Prepared> starting = background.submit(() ->
        ServiceRunner.prepare(config, false, Dependencies.Wait.forever().reportingTo(status::add)));
    long asked = System.nanoTime();
    while (status.isEmpty() && seconds(asked) < 60) {
      Thread.sleep(100);
    }

    // Then it waits, saying for what and which setting names it
    assertThat(starting).isNotDone();
    assertThat(status).first().asString().contains("waiting for the schema registry at " + registryApi)
        .contains("connection refused").contains("XMODAL_REGISTRY_URL");

    // When the registry starts, it waits for the topics next, naming them and what creates them
    long registryStarting = System.nanoTime();
    registry = EmbeddedRegistry.start(embedded.embedded(), EmbeddedRegistry.defaultDist(Optional.empty()),
        work.resolve("registry"), work.resolve("logs").resolve("registry.log"));
    registry.awaitReady(Duration.ofMinutes(2));
    double registryReady = seconds(registryStarting);
    long registryUp = System.nanoTime();
    while (status.stream().noneMatch(s -> s.startsWith("waiting for topics")) && seconds(registryUp) < 30) {
      Thread.sleep(100);
    }
    double noticedRegistry = seconds(registryUp);
    assertThat(status).filteredOn(s -> s.startsWith("waiting for topics")).first().asString()
        .contains("xmodal.images.raw").contains("xmodal.rejected").contains("./xmodal up")
        .contains("XMODAL_CREATE_TOPICS");

    // When the topics are created, it goes on and the service runs
    TopicCatalogue created = TopicCatalogue.create(config.topics(), new RegistryAvroSerdes(registryApi));
    long topicsCreating = System.nanoTime();
    TopicAdmin.ensureTopics(config.clientConfig(), created, Duration.ofSeconds(60));
    TopicCatalogue topics = starting.get(60, TimeUnit.SECONDS).topics();
    double noticedTopics = seconds(topicsCreating);
    IngestConfig ingestConfig = IngestConfig.from(source, config);
    ingest = StreamsService.start("ingest", IngestTopology.buildTopology(ingestConfig, topics),
        StreamsSettings.properties(config, ingestConfig.applicationId(), topics, ingestConfig.dlqPayloadCap()));
    ingest.awaitRunning(Duration.ofMinutes(2));

    // When one of its source topics is deleted under it
    try (Admin admin = Admin.create(config.clientConfig())) {
      admin.deleteTopics(List.of(topics.captionsRaw().name())).all().get(30, TimeUnit.SECONDS);
    }
    long deleted = System.nanoTime();
    long cpu0 = cpuNanos();
    while (!ingest.status().waitingFor().contains(topics.captionsRaw().name()) && seconds(deleted) < 60) {
      Thread.sleep(200);
    }
    double noticedDeletion = seconds(deleted);
    Thread.sleep(15_000);
    double missingSeconds = seconds(deleted);
    double missingCpu = (cpuNanos() - cpu0) / 1e9;
    int deaths = ingest.threadDeaths();

    // Then it says which topic is missing and what creates it, and waits with a back-off
    assertThat(noticedDeletion).isLessThan(60);
    assertThat(deaths).isBetween(1, 6);

    // When the topic is created again, captions flow again
    long recreating = System.nanoTime();
    TopicAdmin.ensureTopics(config.clientConfig(), created, Duration.ofSeconds(60));
    try (KafkaProducer<String, CaptionEvent> producer = new KafkaProducer<>(producerConfig(config),
        new StringSerializer(), topics.captionsRaw().valueSerde().serializer());
         CommittedOutputs out = new CommittedOutputs(config, topics, topics.rejected().valueSerde().deserializer())) {
      producer.send(new ProducerRecord<>(topics.captionsRaw().name(), "after-0", CaptionEvent.newBuilder()
          .setCaptionId("after-0").setImageId("x.jpg").setText("a caption sent after the topic came back")
          .setSource("start-it").setProducedAt(Instant.now()).build())).get();
      assertThat(out.awaitUntil(o -> o.captions().containsKey("after-0"), Duration.ofSeconds(120))).isTrue();
    }
    double recovered = seconds(recreating);

    System.out.printf("outage-measure: registry down at start: waited with a line naming it and "
        + "XMODAL_REGISTRY_URL; registry ready in %.1f s, the service noticed %.1f s later%n", registryReady,
        noticedRegistry);
    System.out.printf("outage-measure: topics missing at start: named with what creates them; the service went on "
        + "%.1f s after they were created%n", noticedTopics);
    System.out.printf("outage-measure: source topic deleted under the running service: named %.1f s later; over "
            + "%.1f s missing: process CPU %.2f s (%.0f%% of one core), %d stream-thread replacements; a caption sent "
            + "after it was created again was committed %.1f s after the re-creation began%n", noticedDeletion,
        missingSeconds, missingCpu, 100 * missingCpu / missingSeconds, deaths, recovered);
  }

  private static Map<String, Object> producerConfig(PlatformConfig config) {
    Map<String, Object> props = new HashMap<>(config.clientConfig());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    return props;
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }

  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }
}
