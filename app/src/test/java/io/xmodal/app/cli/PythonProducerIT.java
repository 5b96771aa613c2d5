package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xmodal.app.publish.IngestAccounting;
import io.xmodal.ingest.IngestTestImages;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.runtime.Ports;
import io.xmodal.platform.topics.LibrdkafkaCrc32Partitioner;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.CaptionEvent;
import io.xmodal.schemas.ImageEvent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 33 with a client nobody here wrote: Confluent's Python client (Debian's python3-confluent-kafka, librdkafka,
 * CRC32 partitioner by default) and its Avro serializer against the registry's Confluent-compatible API. A Java
 * producer (murmur2) publishes images and captions first; the Python producer re-sends them all unchanged, deletes
 * some and publishes those again; the Python consumer reads the clean topics back with its deserializer. Nothing may
 * be lost or accepted twice. The set-up installs the packages with apt-get where it can, and the test is skipped,
 * with the reason, where they cannot be had.
 */
@Tag("e2e")
@Timeout(600)
class PythonProducerIT {

  private static final String PYTHON = "/usr/bin/python3";
  private static final int IDS = 30;
  private static final int DELETED = 10;
  private static String unavailable;

  @TempDir
  Path work;

  @BeforeAll
  static void installTheClient() throws Exception {
    if (importsWork()) {
      return;
    }
    if (Files.isExecutable(Path.of("/usr/bin/apt-get"))) {
      run(List.of("apt-get", "install", "-y", "-q", "python3-confluent-kafka", "python3-avro", "python3-requests"),
          Duration.ofMinutes(5));
    }
    if (!importsWork()) {
      unavailable = "python3-confluent-kafka, python3-avro and python3-requests are not installed and apt-get could "
          + "not install them (not root, or no package repository)";
    }
  }

  private static boolean importsWork() {
    try {
      return Files.isExecutable(Path.of(PYTHON))
          && run(List.of(PYTHON, "-c", "import confluent_kafka, avro, requests"), Duration.ofSeconds(30)) == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  private static int run(List<String> command, Duration timeout) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    return p.exitValue();
  }

  @Test
  void shouldAccountForEveryRecordOfAPythonProducerWhoseIdsAJavaProducerPublishedFirst() throws Exception {
    Assumptions.assumeTrue(unavailable == null, unavailable);
    ConfigSource source = ConfigSource.of(Map.of(
        "XMODAL_WORK_DIR", work.toString(),
        "XMODAL_BROKER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_CONTROLLER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_REGISTRY_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_METRICS_INTERVAL", "1s"));
    Path script = work.resolve("producer_e2e.py");
    try (InputStream in = PythonProducerIT.class.getResourceAsStream("/python/producer_e2e.py")) {
      Files.copy(in, script);
    }

    try (Stack stack = Stack.start(source, Set.of(Stack.Service.INGEST))) {
      PlatformConfig config = stack.config();
      TopicCatalogue topics = stack.topics();
      String bootstrap = config.requireBootstrap();
      String ccompat = config.registryRoot() + "/apis/ccompat/v7";
      List<Map<String, String>> entries = new ArrayList<>();
      for (int i = 0; i < IDS; i++) {
        Path png = Files.write(work.resolve("img-" + i + ".png"), IngestTestImages.png(8 + i % 6, 8 + i / 6));
        entries.add(Map.of("imageId", "img-" + i + ".png", "captionId", "img-" + i + ".png#0", "file", png.toString(),
            "text", "a picture numbered " + i));
      }

      // Given every image and caption published by a Java producer (murmur2)
      try (IngestAccounting accounting = IngestAccounting.start(config, topics)) {
        publishFromJava(config, topics, entries);
        IngestAccounting.Summary s = accounting.awaitAccounted(2 * IDS, Duration.ofMinutes(2), System.out);
        assertThat(s.images() + s.captions()).isEqualTo(2 * IDS);
      }

      // When the Python producer re-sends them all, deletes some and publishes those again
      Path manifest = work.resolve("manifest.json");
      new ObjectMapper().writeValue(manifest.toFile(), Map.of("imagesRaw", topics.imagesRaw().name(),
          "captionsRaw", topics.captionsRaw().name(), "entries", entries));
      Path produced = work.resolve("produced.json");
      IngestAccounting.Summary s;
      try (IngestAccounting accounting = IngestAccounting.start(config, topics)) {
        python(List.of("produce", bootstrap, ccompat, schemasDir().toString(), manifest.toString(),
            Integer.toString(DELETED), produced.toString()));
        s = accounting.awaitAccounted(2 * IDS + 4 * DELETED, Duration.ofMinutes(2), System.out);
      }

      // Then the re-sends were duplicates, each delete and re-publish went through, and nothing was refused
      System.out.printf("python producer: %d re-sent, %d deleted, %d re-published per kind; ingest counted %d "
              + "duplicates, %d records on the clean topics, %d dead letters%n", IDS, DELETED, DELETED, s.duplicates(),
          s.images() + s.captions(), s.rejected());
      assertThat(s.rejected()).as("dead letters: %s", s.rejections()).isZero();
      assertThat(s.duplicates()).isEqualTo(2 * IDS);
      assertThat(s.images() + s.captions()).isEqualTo(4 * DELETED);
      // and librdkafka placed the records as its CRC32 partitioner does: most ids elsewhere than murmur2 put them
      JsonNode placed = new ObjectMapper().readTree(produced.toFile()).path("placed");
      assertThat(placed.size()).isEqualTo(2 * IDS + 4 * DELETED);
      int partitions = topics.imagesRaw().partitions();
      int apart = 0;
      for (JsonNode p : placed) {
        byte[] key = p.path("key").asText().getBytes(StandardCharsets.UTF_8);
        assertThat(p.path("partition").asInt()).isEqualTo(LibrdkafkaCrc32Partitioner.partitionOf(key, partitions));
        if (p.path("partition").asInt()
            != org.apache.kafka.clients.producer.internals.BuiltInPartitioner.partitionForKey(key, partitions)) {
          apart++;
        }
      }
      assertThat(apart).isGreaterThan(placed.size() / 3);

      // and the Python consumer reads, with its deserializer, each id's history: once, or deleted and back
      Path consumed = work.resolve("consumed.json");
      python(List.of("consume", bootstrap, ccompat, consumed.toString(), topics.images().name(),
          topics.captions().name()));
      JsonNode history = new ObjectMapper().readTree(consumed.toFile()).path("history");
      JsonNode values = new ObjectMapper().readTree(consumed.toFile()).path("values");
      assertThat(history.size()).isEqualTo(2 * IDS);
      for (int i = 0; i < IDS; i++) {
        List<String> expected = i < DELETED ? List.of("accepted", "deleted", "accepted") : List.of("accepted");
        for (String key : List.of(topics.images().name() + "/" + entries.get(i).get("imageId"),
            topics.captions().name() + "/" + entries.get(i).get("captionId"))) {
          List<String> got = new ArrayList<>();
          history.path(key).forEach(n -> got.add(n.asText()));
          assertThat(got).as(key).isEqualTo(expected);
          assertThat(values.path(key).path("contentHash").asText()).as(key).hasSize(64);
        }
      }
      System.out.printf("python consumer: %d ids read back, %d with a delete and a re-publish, none twice%n",
          history.size(), 2 * DELETED);
    }
  }

  private static Path schemasDir() {
    Path here = Path.of("").toAbsolutePath();
    Path dir = here.resolveSibling("schemas").resolve("src/main/avro");
    return Files.isDirectory(dir) ? dir : here.resolve("schemas/src/main/avro");
  }

  private void python(List<String> args) throws Exception {
    List<String> command = new ArrayList<>(List.of(PYTHON, work.resolve("producer_e2e.py").toString()));
    command.addAll(args);
    Path log = work.resolve("python-" + args.get(0) + ".log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertThat(p.waitFor(3, TimeUnit.MINUTES)).as("python %s finished", args.get(0)).isTrue();
    assertThat(p.exitValue()).as("python %s: %s", args.get(0), Files.readString(log)).isZero();
  }

  private static void publishFromJava(PlatformConfig config, TopicCatalogue topics, List<Map<String, String>> entries)
      throws Exception {
    Map<String, Object> props = new HashMap<>(config.producerConfig());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    Instant at = Instant.parse("2026-01-01T00:00:00Z");
    try (KafkaProducer<String, ImageEvent> images = new KafkaProducer<>(props, new StringSerializer(),
             topics.imagesRaw().valueSerde().serializer());
         KafkaProducer<String, CaptionEvent> captions = new KafkaProducer<>(props, new StringSerializer(),
             topics.captionsRaw().valueSerde().serializer())) {
      for (Map<String, String> e : entries) {
        images.send(new ProducerRecord<>(topics.imagesRaw().name(), e.get("imageId"), ImageEvent.newBuilder()
            .setImageId(e.get("imageId")).setBytes(ByteBuffer.wrap(Files.readAllBytes(Path.of(e.get("file")))))
            .setSource("python").setProducedAt(at).build())).get();
        captions.send(new ProducerRecord<>(topics.captionsRaw().name(), e.get("captionId"), CaptionEvent.newBuilder()
            .setCaptionId(e.get("captionId")).setImageId(e.get("imageId")).setText(e.get("text")).setLanguage("en")
            .setSource("python").setProducedAt(at).build())).get();
      }
    }
  }
}
