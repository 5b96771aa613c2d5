package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.xmodal.embedded.EmbeddedBroker;
import io.xmodal.embedded.EmbeddedRegistry;
import io.xmodal.ingest.IngestTestImages;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.process.Ports;
import io.xmodal.platform.serde.RegistryAvroSerdes;
import io.xmodal.platform.streams.StreamsService;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.CaptionEvent;
import io.xmodal.schemas.ImageEvent;
import io.xmodal.schemas.RejectReason;
import io.xmodal.schemas.Rejection;
import io.xmodal.tools.stack.Stack;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Ingest while its dependencies fail: the registry stopped mid-stream and started again, the broker stopped for 30 s
 * and started again on the same ports and data. The broker and the registry are started by the test (the embedded
 * runtime's own classes, in child JVMs) and ingest runs against them as a deployment would, through
 * {@code KAFKA_BOOTSTRAP_SERVERS} and {@code XMODAL_REGISTRY_URL}. Every figure it measures is printed on a line
 * starting with {@code outage-measure:}.
 */
@Tag("e2e")
@Timeout(420)
class DependencyOutageIT {

  private static final int BATCH = 6;

  @TempDir
  Path work;

  private ConfigSource source;
  private PlatformConfig platform;
  private EmbeddedBroker broker;
  private EmbeddedRegistry registry;
  private Stack stack;
  private final ListAppender<ILoggingEvent> log = new ListAppender<>();

  @BeforeEach
  void startBrokerRegistryAndIngest() throws Exception {
    source = ConfigSource.of(Map.of(
        "XMODAL_WORK_DIR", work.toString(),
        "XMODAL_BROKER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_CONTROLLER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_REGISTRY_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_METRICS_INTERVAL", "1s"));
    platform = PlatformConfig.from(source);
    broker = startBroker();
    registry = startRegistry();
    stack = Stack.start(source.with(Map.of("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
        "XMODAL_REGISTRY_URL", registry.apiUrl())), Set.of(Stack.Service.INGEST));
    log.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(log);
  }

  @AfterEach
  void stopEverything() {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(log);
    if (stack != null) {
      stack.close();
    }
    if (registry != null) {
      registry.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void shouldKeepIngestingThroughARegistryOutageAndLoseNothing() throws Exception {
    TopicCatalogue topics = stack.topics();
    StreamsService ingest = stack.services().get(0);
    try (CommittedOutputs out = new CommittedOutputs(stack.config(), topics,
        topics.rejected().valueSerde().deserializer());
         KafkaProducer<String, ImageEvent> images = producer(topics.imagesRaw().valueSerde().serializer());
         KafkaProducer<String, CaptionEvent> captions = producer(topics.captionsRaw().valueSerde().serializer());
         KafkaProducer<String, byte[]> raw = producer(new ByteArraySerializer())) {
      // Given ingest running, with a first batch through
      Batch a = Batch.of("reg-a", 0);
      a.send(topics, images, captions);
      assertThat(out.awaitUntil(o -> a.isOn(o), Duration.ofSeconds(60))).as("batch a before the outage").isTrue();

      // When the registry stops
      registry.close();
      Window outage = Window.start(log);

      // Then valid records (the producer's serde has their ids cached) still flow, and a poison pill is still a
      // dead letter (the Rejection's id is cached too)
      Batch b = Batch.of("reg-b", 1);
      b.send(topics, images, captions);
      raw.send(new ProducerRecord<>(topics.imagesRaw().name(), "reg-poison",
          "{\"not\":\"avro\"}".getBytes(StandardCharsets.UTF_8))).get();
      boolean flowed = out.awaitUntil(o -> b.isOn(o) && o.rejected().containsKey("reg-poison"), Duration.ofSeconds(60));
      double flowSeconds = outage.seconds();
      assertThat(flowed).as("batch b and the poison pill during the outage").isTrue();

      // And a record whose schema id only the registry can resolve waits for it, with the records behind it, instead
      // of becoming a dead letter; the stream thread waits in place (no replacement, no rebalance, no busy loop)
      raw.send(new ProducerRecord<>(topics.imagesRaw().name(), "reg-unknown-id",
          ByteBuffer.allocate(13).put((byte) 0).putInt(987_654).putLong(42L).array())).get();
      Batch c = Batch.of("reg-c", 2);
      c.send(topics, images, captions);
      out.pollFor(Duration.ofSeconds(20));
      Window.Figures during = outage.figures();
      assertThat(out.rejected()).doesNotContainKey("reg-unknown-id");
      int deathsDuringOutage = ingest.threadDeaths();
      assertThat(deathsDuringOutage).isZero();
      assertThat(ingest.status().waitingFor()).contains("schema registry").contains(registry.apiUrl());

      // When the registry is started again on the same port and database
      Window recovery = Window.start(log);
      registry = startRegistry();
      double registryStart = recovery.seconds();
      boolean recovered = out.awaitUntil(o -> c.isOn(o) && o.rejected().containsKey("reg-unknown-id"),
          Duration.ofSeconds(90));
      double recoverySeconds = recovery.seconds();

      // Then the waiting record is judged (an id the registry never issued: UNKNOWN_SCHEMA) and everything behind it
      // arrives; every input is on its topic exactly once, and nothing else is
      assertThat(recovered).as("batch c and the unknown id after the registry came back").isTrue();
      out.pollFor(Duration.ofSeconds(3));
      assertExactly(out, List.of(a, b, c), Map.of("reg-poison", List.of(RejectReason.UNDESERIALIZABLE),
          "reg-unknown-id", List.of(RejectReason.UNKNOWN_SCHEMA)));
      assertNotWaitingWithin(ingest, Duration.ofSeconds(30));
      // and the schema ids issued before the restart still resolve, with a serde that has nothing cached
      assertThat(readAllRejections(topics)).isEqualTo(out.rejected());

      System.out.printf("outage-measure: registry down: batch b + poison pill committed %.1f s after the stop; "
              + "over %.1f s of outage: process CPU %.2f s (%.0f%% of one core), %d stream-thread replacements, "
              + "%d log lines at WARN or above (%s)%n", flowSeconds, during.seconds(), during.cpuSeconds(),
          100 * during.cpuSeconds() / during.seconds(), deathsDuringOutage, during.warnLines(), during.byLogger());
      System.out.printf("outage-measure: registry back: ready in %.1f s, the waiting record and batch c committed "
          + "%.1f s after the restart began; thread replacements in all: %d%n", registryStart, recoverySeconds,
          ingest.threadDeaths());
    }
  }

  @Test
  void shouldCarryOnExactlyOnceWhenTheBrokerComesBack() throws Exception {
    TopicCatalogue topics = stack.topics();
    StreamsService ingest = stack.services().get(0);
    try (CommittedOutputs out = new CommittedOutputs(stack.config(), topics,
        topics.rejected().valueSerde().deserializer());
         KafkaProducer<String, ImageEvent> images = producer(topics.imagesRaw().valueSerde().serializer());
         KafkaProducer<String, CaptionEvent> captions = producer(topics.captionsRaw().valueSerde().serializer())) {
      // Given ingest running, with a first batch through
      Batch a = Batch.of("brk-a", 3);
      a.send(topics, images, captions);
      assertThat(out.awaitUntil(o -> a.isOn(o), Duration.ofSeconds(60))).as("batch a before the outage").isTrue();

      // When the broker stops for 30 s, while a producer sends a second batch (it holds and retries them)
      long stopping = System.nanoTime();
      broker.close();
      double stopSeconds = (System.nanoTime() - stopping) / 1e9;
      Window outage = Window.start(log);
      Batch b = Batch.of("brk-b", 4);
      // (send() itself blocks while the producer has no metadata for the topic, so it runs on a thread of its own)
      ExecutorService sender = Executors.newSingleThreadExecutor();
      Future<List<Future<RecordMetadata>>> sending = sender.submit(() -> b.send(topics, images, captions));
      while (outage.seconds() < 30) {
        Thread.sleep(500);
      }
      Window.Figures during = outage.figures();
      int deathsDuringOutage = ingest.threadDeaths();
      assertThat(ingest.status().waitingFor()).contains("Kafka broker").contains(broker.bootstrapServers());

      // And starts again on the same ports and data
      Window recovery = Window.start(log);
      broker = startBroker();
      double brokerStart = recovery.seconds();
      for (Future<RecordMetadata> f : sending.get(3, TimeUnit.MINUTES)) {
        f.get(2, TimeUnit.MINUTES);
      }
      sender.shutdown();
      double producerDone = recovery.seconds();
      boolean recovered = out.awaitUntil(o -> b.isOn(o), Duration.ofSeconds(120));
      double recoverySeconds = recovery.seconds();
      assertThat(recovered).as("batch b after the broker came back; the broker's log ends:\n%s",
          broker.process().tail()).isTrue();
      Batch c = Batch.of("brk-c", 5);
      c.send(topics, images, captions);
      assertThat(out.awaitUntil(o -> c.isOn(o), Duration.ofSeconds(60))).as("batch c after the outage").isTrue();

      // Then every record sent before, during and after is on the clean topics exactly once, and nothing else
      out.pollFor(Duration.ofSeconds(3));
      assertExactly(out, List.of(a, b, c), Map.of());
      assertNotWaitingWithin(ingest, Duration.ofSeconds(30));

      System.out.printf("outage-measure: broker stopped (graceful, %.1f s); over %.1f s of outage: process CPU %.2f s "
              + "(%.0f%% of one core), %d stream-thread replacements, %d log lines at WARN or above (%s)%n",
          stopSeconds, during.seconds(), during.cpuSeconds(), 100 * during.cpuSeconds() / during.seconds(),
          deathsDuringOutage, during.warnLines(), during.byLogger());
      System.out.printf("outage-measure: broker back: ready in %.1f s, producer's held batch acknowledged %.1f s and "
              + "committed by ingest %.1f s after the restart began; thread replacements in all: %d%n", brokerStart,
          producerDone, recoverySeconds, ingest.threadDeaths());
    }
  }

  @Test
  void shouldDeadLetterEveryRecordOfAFloodButLogOnlyTheFirstFewLines() throws Exception {
    TopicCatalogue topics = stack.topics();
    int flood = 600;
    try (CommittedOutputs out = new CommittedOutputs(stack.config(), topics,
        topics.rejected().valueSerde().deserializer());
         KafkaProducer<String, byte[]> raw = producer(new ByteArraySerializer())) {
      // Given a producer that writes records naming schema ids the registry never issued, one id per record
      Window flooding = Window.start(log);
      for (int i = 0; i < flood; i++) {
        raw.send(new ProducerRecord<>(topics.imagesRaw().name(), "flood-" + i,
            ByteBuffer.allocate(13).put((byte) 0).putInt(500_000 + i).putLong(42L).array()));
      }
      raw.flush();

      // When ingest has judged them all
      assertThat(out.awaitUntil(o -> o.rejected().size() == flood, Duration.ofSeconds(120))).isTrue();
      Window.Figures figures = flooding.figures();

      // Then each is a dead letter, and the log holds a handful of lines, not one per record
      assertThat(out.rejected().values()).allSatisfy(r -> assertThat(r).containsExactly(RejectReason.UNKNOWN_SCHEMA));
      assertThat(figures.warnLines()).isLessThanOrEqualTo(12);
      System.out.printf("outage-measure: %d records of %d unknown schema ids dead-lettered in %.1f s with %d log lines "
          + "at WARN or above (%s)%n", flood, flood, figures.seconds(), figures.warnLines(), figures.byLogger());
    }
  }

  private EmbeddedBroker startBroker() throws InterruptedException {
    EmbeddedBroker b = EmbeddedBroker.start(platform.embedded(), work.resolve("kafka"),
        platform.topics().maxMessageBytes(), work.resolve("logs").resolve("broker.log"));
    b.awaitReady(Duration.ofMinutes(2));
    return b;
  }

  private EmbeddedRegistry startRegistry() throws InterruptedException {
    EmbeddedRegistry r = EmbeddedRegistry.start(platform.embedded(), EmbeddedRegistry.defaultDist(Optional.empty()),
        work.resolve("registry"), work.resolve("logs").resolve("registry.log"));
    r.awaitReady(Duration.ofMinutes(2));
    return r;
  }

  /**
   * The status clears at the dependency watch's next answered probe (every few seconds; a probe that timed out on a
   * busy machine just before is confirmed or cleared by the next), so it is awaited, not read once.
   */
  private static void assertNotWaitingWithin(StreamsService service, Duration limit) {
    await().atMost(limit).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
        assertThat(service.status().waitingFor()).as("what %s waits for, after its outputs were complete",
            service.name()).isEmpty());
  }

  private <V> KafkaProducer<String, V> producer(Serializer<V> values) {
    Map<String, Object> props = new HashMap<>(stack.config().clientConfig());
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, platform.topics().maxMessageBytes());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 180_000);
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 180_000);
    return new KafkaProducer<>(props, new StringSerializer(), values);
  }

  /** Every dead letter's key and reasons, read with a serde that has no schema cached (so its ids must resolve now). */
  private Map<String, List<RejectReason>> readAllRejections(TopicCatalogue topics) {
    var fresh = new RegistryAvroSerdes(registry.apiUrl()).valueSerde(Rejection.class).deserializer();
    try (CommittedOutputs again = new CommittedOutputs(stack.config(), topics, fresh)) {
      again.pollFor(Duration.ofSeconds(3));
      return again.rejected();
    }
  }

  private static void assertExactly(CommittedOutputs out, List<Batch> batches,
                                    Map<String, List<RejectReason>> rejections) {
    Map<String, Integer> images = new TreeMap<>();
    Map<String, Integer> captions = new TreeMap<>();
    for (Batch batch : batches) {
      batch.imageIds().forEach(id -> images.put(id, 1));
      batch.captionIds().forEach(id -> captions.put(id, 1));
    }
    assertThat(out.images()).isEqualTo(images);
    assertThat(out.captions()).isEqualTo(captions);
    assertThat(out.rejected()).isEqualTo(rejections);
  }

  /** Some valid images (real Flickr8k JPEGs, each once) with a caption each. */
  record Batch(String name, List<ImageEvent> images, List<CaptionEvent> captions) {

    static Batch of(String name, int index) {
      List<ImageEvent> images = new ArrayList<>();
      List<CaptionEvent> captions = new ArrayList<>();
      for (int i = 0; i < BATCH; i++) {
        String imageId = name + "-" + i + ".jpg";
        images.add(ImageEvent.newBuilder().setImageId(imageId)
            .setBytes(ByteBuffer.wrap(IngestTestImages.realJpeg(index * BATCH + i))).setSource("outage-it")
            .setProducedAt(Instant.now()).build());
        captions.add(CaptionEvent.newBuilder().setCaptionId(imageId + "#0").setImageId(imageId)
            .setText("a photograph number " + i + " of batch " + name).setSource("outage-it")
            .setProducedAt(Instant.now()).build());
      }
      return new Batch(name, images, captions);
    }

    List<Future<RecordMetadata>> send(TopicCatalogue topics, KafkaProducer<String, ImageEvent> imageProducer,
                                      KafkaProducer<String, CaptionEvent> captionProducer) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      images.forEach(e -> sent.add(imageProducer.send(new ProducerRecord<>(topics.imagesRaw().name(),
          e.getImageId(), e))));
      captions.forEach(e -> sent.add(captionProducer.send(new ProducerRecord<>(topics.captionsRaw().name(),
          e.getCaptionId(), e))));
      return sent;
    }

    List<String> imageIds() {
      return images.stream().map(ImageEvent::getImageId).toList();
    }

    List<String> captionIds() {
      return captions.stream().map(CaptionEvent::getCaptionId).toList();
    }

    boolean isOn(CommittedOutputs out) {
      return out.hasImages(imageIds()) && out.hasCaptions(captionIds());
    }
  }

  /** A measured stretch of time: wall clock, this process's CPU time, and the log lines at WARN or above. */
  static final class Window {
    private final long wall0 = System.nanoTime();
    private final long cpu0 = cpuNanos();
    private final ListAppender<ILoggingEvent> log;
    private final int lines0;

    private Window(ListAppender<ILoggingEvent> log) {
      this.log = log;
      this.lines0 = log.list.size();
    }

    static Window start(ListAppender<ILoggingEvent> log) {
      return new Window(log);
    }

    double seconds() {
      return (System.nanoTime() - wall0) / 1e9;
    }

    record Figures(double seconds, double cpuSeconds, int warnLines, Map<String, Long> byLogger) {}

    Figures figures() {
      List<ILoggingEvent> lines;
      synchronized (log) {
        lines = new ArrayList<>(log.list.subList(lines0, log.list.size()));
      }
      List<ILoggingEvent> warn = lines.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).toList();
      Map<String, Long> byLogger = warn.stream().collect(Collectors.groupingBy(
          e -> e.getLoggerName().replaceAll(".*\\.", ""), TreeMap::new, Collectors.counting()));
      return new Figures(seconds(), (cpuNanos() - cpu0) / 1e9, warn.size(), byLogger);
    }

    private static long cpuNanos() {
      return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
          .getProcessCpuTime();
    }
  }

}
