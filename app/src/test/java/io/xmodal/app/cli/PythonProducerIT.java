package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xmodal.client.publish.IngestAccounting;
import io.xmodal.ingest.IngestTestImages;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.process.Ports;
import io.xmodal.platform.topics.LibrdkafkaCrc32Partitioner;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.query.replicated.QueryTopology;
import io.xmodal.schemas.CaptionEvent;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.ImageEvent;
import io.xmodal.schemas.MappingModel;
import io.xmodal.tools.stack.Stack;
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
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
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
 * be lost or accepted twice. Then, with the client's current serializers (confluent_kafka.schema_registry, fastavro),
 * Python sends a text query and an image query for every item and reads the results topic (read_committed): every
 * query answered exactly once. Last, docs/producers.md's two examples run as they are. The set-up installs the
 * packages with apt-get, and fastavro (which Debian 12 does not package) with pip, where it can; the test is skipped,
 * with the reason, where they cannot be had.
 */
@Tag("e2e")
@Timeout(600)
class PythonProducerIT {

  private static final String PYTHON = "/usr/bin/python3";
  private static final int IDS = 30;
  private static final int DELETED = 10;
  private static final int K = 5;
  /** Where pip puts fastavro when the machine has none: the module's build folder, on PYTHONPATH for the scripts. */
  private static final Path SITE = Path.of("target", "python-site").toAbsolutePath();
  private static String unavailable;

  @TempDir
  Path work;

  @BeforeAll
  static void installTheClient() throws Exception {
    if ((!importsWork() || !fastavroWorks() && !imports("pip")) && Files.isExecutable(Path.of("/usr/bin/apt-get"))) {
      run(List.of("apt-get", "install", "-y", "-q", "python3-confluent-kafka", "python3-avro", "python3-requests",
          "python3-pip"), Duration.ofMinutes(5));
    }
    if (importsWork() && !fastavroWorks()) {
      run(List.of(PYTHON, "-m", "pip", "install", "-q", "--retries", "0", "--timeout", "20", "--target",
          SITE.toString(), "fastavro"), Duration.ofMinutes(3));
    }
    if (!importsWork() || !fastavroWorks()) {
      unavailable = "python3-confluent-kafka, python3-avro, python3-requests and fastavro are not installed and "
          + "could not be (apt-get: not root, or no package repository; pip: no package index with fastavro)";
    }
  }

  private static boolean importsWork() {
    return imports("confluent_kafka, avro, requests");
  }

  private static boolean fastavroWorks() {
    return imports("fastavro, confluent_kafka.schema_registry.avro");
  }

  private static boolean imports(String modules) {
    try {
      return Files.isExecutable(Path.of(PYTHON)) && run(List.of(PYTHON, "-c", "import " + modules),
          Duration.ofSeconds(30)) == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  private static int run(List<String> command, Duration timeout) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    builder.environment().put("PYTHONPATH", SITE.toString());
    Process p = builder.start();
    if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    return p.exitValue();
  }

  @Test
  void shouldAccountForEveryRecordAndAnswerEveryQueryOfAPythonClientWhoseIdsAJavaProducerPublishedFirst()
      throws Exception {
    Assumptions.assumeTrue(unavailable == null, unavailable);
    ConfigSource source = ConfigSource.of(SingleEncoders.with(Map.of(
        "XMODAL_WORK_DIR", work.toString(),
        "XMODAL_SHARED_DIR", IngestTestImages.sharedDir().toString(),
        "XMODAL_BROKER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_CONTROLLER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_REGISTRY_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_METRICS_INTERVAL", "1s")));
    for (String script : List.of("producer_e2e.py", "producer_guide.py")) {
      try (InputStream in = PythonProducerIT.class.getResourceAsStream("/python/" + script)) {
        Files.copy(in, work.resolve(script));
      }
    }

    try (Stack stack = Stack.start(source, Set.of(Stack.Service.INGEST, Stack.Service.QUERY))) {
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

      // Given a gallery of 120 images and 600 captions and a published mapping, live in query-stream
      ShardedQueryEndToEndIT.publishGalleriesAndMapping(config, stack, stack.encoders().orElseThrow());
      KafkaStreams queryStream = stack.services().stream().filter(x -> x.name().equals("query-stream")).findFirst()
          .orElseThrow().streams();
      ReadOnlyKeyValueStore<String, MappingModel> live = queryStream.store(StoreQueryParameters.fromNameAndType(
          QueryTopology.LIVE_STORE, QueryableStoreTypes.<String, MappingModel>keyValueStore()));
      ReadOnlyKeyValueStore<String, Embedding> imageGallery = queryStream.store(StoreQueryParameters.fromNameAndType(
          QueryTopology.IMAGE_STORE, QueryableStoreTypes.<String, Embedding>keyValueStore()));
      ReadOnlyKeyValueStore<String, Embedding> textGallery = queryStream.store(StoreQueryParameters.fromNameAndType(
          QueryTopology.TEXT_STORE, QueryableStoreTypes.<String, Embedding>keyValueStore()));
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
          .until(() -> live.get("default") != null && size(imageGallery) == ShardedQueryEndToEndIT.IMAGES
              && size(textGallery) == ShardedQueryEndToEndIT.CAPTIONS);

      // When the Python client sends a text query for every caption and an image query for every image, and reads
      // the results topic from its beginning (read_committed) with its Avro deserializer
      Path answered = work.resolve("answered.json");
      String queryLog = python(List.of("query", bootstrap, ccompat, schemasDir().toString(), manifest.toString(),
          topics.queries().name(), topics.results().name(), answered.toString()));
      JsonNode answers = new ObjectMapper().readTree(answered.toFile());
      List<String> sent = new ArrayList<>();
      answers.path("sent").forEach(n -> sent.add(n.asText()));
      JsonNode results = answers.path("results");
      int once = 0;
      int lost = 0;
      int twice = 0;
      int failed = 0;
      for (String id : sent) {
        int n = results.path(id).size();
        once += n == 1 ? 1 : 0;
        lost += n == 0 ? 1 : 0;
        twice += n > 1 ? 1 : 0;
        for (JsonNode r : results.path(id)) {
          failed += r.path("error").isNull() ? 0 : 1;
        }
      }
      System.out.printf("python queries: %d sent (%d text to image, %d image to text), %d answered exactly once, "
              + "%d lost, %d answered more than once, %d with an error, %d results of queries not sent; results "
              + "read to the topic's end: %s%n%s", sent.size(), IDS, IDS, once, lost, twice, failed,
          answers.path("others").asInt(), answers.path("readToEnd").asBoolean(), lastLine(queryLog));

      // Then every query was answered exactly once: nothing lost, nothing twice, nothing else on the topic
      assertThat(sent).hasSize(2 * IDS).doesNotHaveDuplicates();
      assertThat(once).isEqualTo(sent.size());
      assertThat(lost).isZero();
      assertThat(twice).isZero();
      assertThat(answers.path("others").asInt()).isZero();
      assertThat(answers.path("readToEnd").asBoolean()).isTrue();
      // and with the mapping, k hits from the other modality each
      for (String id : sent) {
        JsonNode r = results.path(id).path(0);
        assertThat(r.path("queryId").asText()).isEqualTo(id);
        assertThat(r.path("error").isNull()).as("%s: %s", id, r.path("error")).isTrue();
        assertThat(r.path("mappingVersion").asLong()).as(id).isEqualTo(1L);
        List<String> hits = new ArrayList<>();
        r.path("hits").forEach(h -> hits.add(h.asText()));
        assertThat(hits).as(id).hasSize(K).doesNotHaveDuplicates()
            .allMatch(h -> h.startsWith(id.startsWith("py-text-") ? "i" : "c"));
      }

      // When docs/producers.md's examples run as they are: the Python one (an image, a delete, two queries, their
      // results, the dead letters), then the Java one (a caption of that image, a delete)
      assertThat(List.of(topics.imagesRaw().name(), topics.queries().name(), topics.results().name()))
          .as("the topics the examples name").containsExactly("xmodal.images.raw", "xmodal.queries", "xmodal.results");
      Files.write(work.resolve("dog-1.jpg"), IngestTestImages.realJpeg(0));
      IngestAccounting.Summary guide;
      String printed;
      try (IngestAccounting accounting = IngestAccounting.start(config, topics)) {
        printed = python(work.resolve("producer_guide.py"), List.of(), Map.of("KAFKA_BOOTSTRAP_SERVERS", bootstrap,
            "REGISTRY_URL", ccompat, "AVSC_DIR", schemasDir().toString()), "guide");
        ProducerGuideExample.publishCaption(bootstrap, config.requireRegistryUrl(), schemasDir());
        guide = accounting.awaitAccounted(4, Duration.ofMinutes(1), System.out);
      }
      // Then the Python example printed its two answers, with the mapping, and no dead letter (there is none)
      List<String> lines = printed.lines().filter(l -> l.startsWith("result ") || l.startsWith("rejected ")).toList();
      System.out.printf("guide examples: %s; ingest: %d images, %d captions, %d dead letters%n", lines,
          guide.images(), guide.captions(), guide.rejected());
      assertThat(lines).hasSize(2)
          .anyMatch(l -> l.matches("result my-team-q1 1 \\[('i\\d+', ){4}'i\\d+'\\]"))
          .anyMatch(l -> l.matches("result my-team-q2 1 \\[('c\\d+', ){4}'c\\d+'\\]"));
      // and the image, the caption and both deletes reached the clean topics
      assertThat(guide.rejected()).as("dead letters: %s", guide.rejections()).isZero();
      assertThat(guide.images()).isEqualTo(2);
      assertThat(guide.captions()).isEqualTo(2);
    }
  }

  private static int size(ReadOnlyKeyValueStore<String, Embedding> store) {
    int n = 0;
    try (KeyValueIterator<String, Embedding> all = store.all()) {
      while (all.hasNext()) {
        all.next();
        n++;
      }
    }
    return n;
  }

  private static String lastLine(String log) {
    List<String> lines = log.lines().toList();
    return lines.isEmpty() ? "" : lines.get(lines.size() - 1) + System.lineSeparator();
  }

  private static Path schemasDir() {
    Path here = Path.of("").toAbsolutePath();
    Path dir = here.resolveSibling("schemas").resolve("src/main/avro");
    return Files.isDirectory(dir) ? dir : here.resolve("schemas/src/main/avro");
  }

  /** Runs a subcommand of producer_e2e.py; returns what it printed. */
  private String python(List<String> args) throws Exception {
    return python(work.resolve("producer_e2e.py"), args, Map.of(), args.get(0));
  }

  /** Runs a script in the work folder, fastavro on its path; asserts it succeeded and returns what it printed. */
  private String python(Path script, List<String> args, Map<String, String> env, String name) throws Exception {
    List<String> command = new ArrayList<>(List.of(PYTHON, script.toString()));
    command.addAll(args);
    Path log = work.resolve("python-" + name + ".log");
    ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().put("PYTHONPATH", SITE.toString());
    builder.environment().putAll(env);
    Process p = builder.start();
    assertThat(p.waitFor(4, TimeUnit.MINUTES)).as("python %s finished", name).isTrue();
    assertThat(p.exitValue()).as("python %s: %s", name, Files.readString(log)).isZero();
    return Files.readString(log);
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
