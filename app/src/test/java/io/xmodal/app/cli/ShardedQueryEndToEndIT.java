package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.xmodal.encode.EncodeConfig;
import io.xmodal.encoders.EncoderInfo;
import io.xmodal.encoders.Encoders;
import io.xmodal.ingest.IngestTestImages;
import io.xmodal.mapping.Fits;
import io.xmodal.mapping.HubnessCorrection;
import io.xmodal.mapping.LinearMap;
import io.xmodal.mapping.SufficientStats;
import io.xmodal.mapping.Vectors;
import io.xmodal.mapping.codec.MappingCodec;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.process.Ports;
import io.xmodal.platform.service.ServiceAssembly;
import io.xmodal.platform.service.SharedResources;
import io.xmodal.platform.streams.StreamsService;
import io.xmodal.query.QueryService;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.EncoderIdentity;
import io.xmodal.schemas.MappingModel;
import io.xmodal.schemas.Modality;
import io.xmodal.schemas.Query;
import io.xmodal.schemas.QueryResult;
import io.xmodal.tools.stack.Stack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TaskMetadata;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Sharded query-stream on the embedded broker and registry: two instances (one in this JVM, one a JVM of its own
 * running {@code xmodal service query}) share four gallery partitions; queries flow, the second instance is killed
 * with SIGKILL while queries are between scatter and gather, and every query still gets exactly one result on
 * {@code xmodal.results} as a read_committed consumer sees it.
 */
@Tag("e2e")
@Timeout(300)
class ShardedQueryEndToEndIT {

  static final int IMAGES = 120;
  static final int CAPTIONS = 600;
  static final int QUERIES = 80;

  @TempDir
  Path work;

  @Test
  void shouldGiveEveryQueryExactlyOneResultWhenAnInstanceIsKilledBetweenScatterAndGather() throws Exception {
    Map<String, String> settings = SingleEncoders.with(Map.of(
        "XMODAL_SHARED_DIR", IngestTestImages.sharedDir().toString(),
        "XMODAL_PARTITIONS", "4",
        "XMODAL_QUERY_MODE", "sharded",
        "XMODAL_QUERY_GATHER_TIMEOUT", "25s",
        "XMODAL_METRICS_INTERVAL", "5s",
        "XMODAL_DEVICE", "cpu"));
    Map<String, String> stackEnv = new HashMap<>(settings);
    stackEnv.putAll(Map.of("XMODAL_WORK_DIR", work.resolve("a").toString(),
        "XMODAL_BROKER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_CONTROLLER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_REGISTRY_PORT", Integer.toString(Ports.freePort())));
    ConfigSource source = ConfigSource.of(stackEnv);
    SharedResources shared = new SharedResources();
    SharedResources.Handle<Encoders> handle = null;
    ServiceAssembly a = null;

    try (Stack stack = Stack.start(source, EnumSet.noneOf(Stack.Service.class))) {
      PlatformConfig config = stack.config();
      // Given both galleries and a mapping, for the encoders query-stream runs
      handle = shared.acquire(EncodeConfig.from(source, config).encoders(),
          () -> Encoders.load(EncodeConfig.from(source, config).encoders()));
      Encoders encoders = handle.get();
      publishGalleriesAndMapping(config, stack, encoders);

      // and two sharded query-stream instances: this JVM's, and one of its own
      a = new QueryService().assemble(source, config, stack.topics(), shared);
      a.properties().put(StreamsConfig.STATE_DIR_CONFIG, work.resolve("a-state").toString());
      Map<String, String> childEnv = new HashMap<>(settings);
      childEnv.put("XMODAL_WORK_DIR", work.resolve("b").toString());
      childEnv.put("KAFKA_BOOTSTRAP_SERVERS", config.requireBootstrap());
      childEnv.put("XMODAL_REGISTRY_URL", config.requireRegistryUrl());
      Files.createDirectories(work.resolve("b"));
      try (StreamsService instanceA = StreamsService.start("query-stream", a.topology(), a.properties());
           JavaProcess instanceB = JavaProcess.start(List.of("-Xmx1g"), XmodalCli.class, List.of("service", "query"),
               childEnv, work.resolve("b"), "query-stream is running");
           KafkaConsumer<String, QueryResult> results = new KafkaConsumer<>(config.consumerConfig(),
               new StringDeserializer(), stack.topics().results().valueSerde().deserializer());
           KafkaProducer<String, Query> queries = new KafkaProducer<>(config.clientConfig(), new StringSerializer(),
               stack.topics().queries().valueSerde().serializer())) {
        instanceA.awaitRunning(Duration.ofMinutes(2));
        assertThat(instanceB.awaitLine(Duration.ofMinutes(2))).as(instanceB.output()).isTrue();
        // the partitions are shared: this instance runs some shard tasks, not all four
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
            .until(() -> shardTasks(instanceA) > 0 && shardTasks(instanceA) < 4 && running(instanceA));
        List<TopicPartition> partitions = results.partitionsFor(stack.topics().results().name()).stream()
            .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        results.assign(partitions);
        results.seekToBeginning(partitions);

        // and both warmed up: a few queries answered by all four partitions
        Random r = new Random(5);
        for (int i = 0; i < 4; i++) {
          Query q = Query.newBuilder().setQueryId("warm" + i).setModality(i % 2 == 0 ? Modality.TEXT : Modality.IMAGE)
              .setExistingId(i % 2 == 0 ? "c" + i : "i" + i).setK(5).setSentAt(Instant.now()).build();
          queries.send(new ProducerRecord<>(stack.topics().queries().name(), q.getQueryId(), q));
        }
        queries.flush();
        java.util.Set<String> warm = new java.util.HashSet<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
          results.poll(Duration.ofMillis(200)).forEach(rec -> warm.add(rec.key()));
          return warm.size() == 4;
        });

        // When queries flow, and half-way through the other instance is killed (SIGKILL)
        long killedAt = 0;
        for (int i = 0; i < QUERIES; i++) {
          boolean text = i % 2 == 0;
          Query q = Query.newBuilder().setQueryId("q" + i).setModality(text ? Modality.TEXT : Modality.IMAGE)
              .setExistingId(text ? "c" + r.nextInt(CAPTIONS) : "i" + r.nextInt(IMAGES)).setK(5)
              .setSentAt(Instant.now()).build();
          queries.send(new ProducerRecord<>(stack.topics().queries().name(), q.getQueryId(), q));
          if (i == QUERIES / 2) {
            queries.flush();
            Thread.sleep(30); // the last ones are in flight: in a batch, scattered, or waiting in a shard
            instanceB.close();
            killedAt = System.currentTimeMillis();
          }
          Thread.sleep(50);
        }
        queries.flush();

        // Then every query gets exactly one result, complete or marked partial, never two
        Map<String, List<QueryResult>> byQuery = new TreeMap<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        long quietUntil = Long.MAX_VALUE;
        while (System.nanoTime() < Math.min(deadline, quietUntil)) {
          for (ConsumerRecord<String, QueryResult> rec : results.poll(Duration.ofMillis(200))) {
            if (rec.key().startsWith("q")) {
              byQuery.computeIfAbsent(rec.key(), k -> new ArrayList<>()).add(rec.value());
            }
          }
          if (byQuery.size() == QUERIES && quietUntil == Long.MAX_VALUE) {
            quietUntil = System.nanoTime() + Duration.ofSeconds(10).toNanos(); // and nothing more comes after
          }
        }
        assertThat(byQuery).hasSize(QUERIES);
        assertThat(byQuery.values()).allSatisfy(list -> {
          assertThat(list).hasSize(1);
          QueryResult res = list.get(0);
          assertThat(res.getError()).isNull();
          assertThat(res.getMappingVersion()).isEqualTo(1L);
          assertThat(res.getPartitions()).isEqualTo(4);
          assertThat(res.getPartial()).isEqualTo(res.getAnsweredPartitions().size() < 4);
          assertThat(res.getHits()).hasSizeLessThanOrEqualTo(5).isNotEmpty();
        });
        final long killed = killedAt;
        long answeredAfterKill = byQuery.values().stream().map(l -> l.get(0))
            .filter(res -> res.getCompletedAt().toEpochMilli() > killed).count();
        long partial = byQuery.values().stream().filter(l -> l.get(0).getPartial()).count();
        long slowest = byQuery.values().stream().mapToLong(l -> l.get(0).getCompletedAt().toEpochMilli()
            - l.get(0).getCompletedAt().toEpochMilli() + l.get(0).getTotalMicros() / 1000).max().orElse(0);
        System.out.printf("sharded IT: %d queries, %d answered before the kill, %d after, %d partial; slowest %d ms%n",
            QUERIES, QUERIES - answeredAfterKill, answeredAfterKill, partial, slowest);
        assertThat(answeredAfterKill).isGreaterThan(0);
        assertThat(QUERIES - answeredAfterKill).isGreaterThan(0);
        // and after the failover this instance holds every partition
        assertThat(shardTasks(instanceA)).isEqualTo(4);
        instanceA.close(Duration.ofSeconds(30));
      }
    } finally {
      if (a != null) {
        a.close();
      }
      if (handle != null) {
        handle.close();
      }
    }
  }

  /** Active shard tasks (the sub-topology reading xmodal.query.shards) of an instance. */
  private static long shardTasks(StreamsService s) {
    return s.streams().metadataForLocalThreads().stream().flatMap(t -> t.activeTasks().stream())
        .filter(t -> t.topicPartitions().stream().anyMatch(tp -> tp.topic().endsWith("query.shards")))
        .map(TaskMetadata::taskId).distinct().count();
  }

  private static boolean running(StreamsService s) {
    return s.streams().state() == org.apache.kafka.streams.KafkaStreams.State.RUNNING;
  }

  /**
   * {@value #IMAGES} image and {@value #CAPTIONS} caption embeddings ("i0"…, "c0"…) of random vectors for
   * {@code encoders}, and version 1 of the mapping "default" fitted on them (also {@link PythonProducerIT}'s).
   */
  static void publishGalleriesAndMapping(PlatformConfig config, Stack stack, Encoders encoders)
      throws Exception {
    Random r = new Random(11);
    EncoderIdentity text = identity(encoders.text().info());
    EncoderIdentity image = identity(encoders.image().info());
    float[][] x = new float[CAPTIONS][];
    float[][] y = new float[CAPTIONS][];
    float[][] images = new float[IMAGES][];
    for (int i = 0; i < IMAGES; i++) {
      images[i] = gaussian(r, image.getDimension());
    }
    Map<String, Object> props = new HashMap<>(config.producerConfig());
    try (KafkaProducer<String, Embedding> embeddings = new KafkaProducer<>(props, new StringSerializer(),
        stack.topics().imageEmbeddings().valueSerde().serializer())) {
      for (int i = 0; i < IMAGES; i++) {
        embeddings.send(new ProducerRecord<>(stack.topics().imageEmbeddings().name(), "i" + i,
            embedding("i" + i, Modality.IMAGE, image, images[i])));
      }
      for (int c = 0; c < CAPTIONS; c++) {
        x[c] = gaussian(r, text.getDimension());
        y[c] = Vectors.l2(images[c % IMAGES]);
        x[c] = Vectors.l2(x[c]);
        embeddings.send(new ProducerRecord<>(stack.topics().textEmbeddings().name(), "c" + c,
            embedding("c" + c, Modality.TEXT, text, x[c])));
      }
      embeddings.flush();
    }
    LinearMap map = Fits.leastSquares(SufficientStats.of(x, y), 0.1, true, Fits.Direction.T2I)
        .withHubness(HubnessCorrection.csls(10));
    MappingModel model = MappingCodec.toAvro(map, new MappingCodec.Meta("default", 1, text, image, CAPTIONS,
        Map.of("rsum", 100.0), Instant.now(), null,
        Nd4j.create(java.util.Arrays.copyOf(x, 100)).castTo(DataType.FLOAT),
        Nd4j.create(java.util.Arrays.copyOf(y, 50)).castTo(DataType.FLOAT)));
    try (KafkaProducer<String, MappingModel> producer = new KafkaProducer<>(props, new StringSerializer(),
        stack.topics().mappings().valueSerde().serializer())) {
      producer.send(new ProducerRecord<>(stack.topics().mappings().name(), "default", model)).get();
    }
  }

  private static float[] gaussian(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  private static EncoderIdentity identity(EncoderInfo i) {
    return EncoderIdentity.newBuilder().setName(i.name()).setVersion(i.version()).setDimension(i.dimension())
        .setChecksum(i.checksum()).build();
  }

  private static Embedding embedding(String id, Modality m, EncoderIdentity enc, float[] v) {
    List<Float> list = new ArrayList<>(v.length);
    for (float f : v) {
      list.add(f);
    }
    return Embedding.newBuilder().setId(id).setModality(m).setEncoderInfo(enc).setVector(list)
        .setCreatedAt(Instant.now()).setSource("it").build();
  }
}
