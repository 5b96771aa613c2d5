package io.xmodal.tools.chaos;

import io.xmodal.client.dataset.Dataset;
import io.xmodal.client.dataset.Flickr8k;
import io.xmodal.client.dataset.Split;
import io.xmodal.client.publish.DatasetPublisher;
import io.xmodal.client.publish.OutputCursor;
import io.xmodal.mapping.HeldOut;
import io.xmodal.mapping.codec.MappingCodec;
import io.xmodal.platform.config.ConfigException;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.process.Folders;
import io.xmodal.platform.process.Ports;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.MappingModel;
import io.xmodal.schemas.Modality;
import io.xmodal.schemas.Query;
import io.xmodal.schemas.QueryResult;
import io.xmodal.schemas.Rejection;
import io.xmodal.tools.chaos.ChaosLedger.Stage;
import io.xmodal.tools.stack.ProcessStack;
import io.xmodal.tools.stack.Stack;
import io.xmodal.trainer.TrainerConfig;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * One chaos run ({@code xmodal chaos}): a cluster of KRaft nodes, the registry and several instances of each service as
 * child JVMs, the dev split published and queries sent while one instance of encode-stream, mapping-trainer and
 * query-stream and one broker are killed and restarted at moments drawn from the seed; then every output read
 * committed and counted against what went in ({@link ChaosLedger}).
 */
public final class ChaosRun {

  private ChaosRun() {}

  /** What to run. */
  public record Options(long seed, int images, int queries, int brokers, int instances, double rate, double queryRate,
                 int standbys, Duration timeout, Path datasetPath, boolean keep) {
    public Options {
      if (brokers < 3) {
        throw new ConfigException("--brokers must be at least 3 (one is killed; topics have 3 replicas and "
            + "min.insync.replicas 2), got " + brokers);
      }
      if (instances < 2) {
        throw new ConfigException("--instances must be at least 2 (one instance of each service is killed), got "
            + instances);
      }
      if (rate <= 0 || queryRate <= 0) {
        throw new ConfigException("--rate and --query-rate must be positive");
      }
    }
  }

  /** One kill: what, when (seconds since the input started), back when, output resumed when (-1: no output after). */
  public record Kill(String role, long pid, Stage stage, double at, double back, double resumed) {}

  /** What a run found. */
  public record Result(long inputs, long lost, long duplicated, List<Kill> kills, List<ChaosLedger.Row> rows,
                long answeredWithAMapping, long seed) {}

  /** A kill to make: the process, the stage it belongs to, and the share of that stage's output at which it fires. */
  private record Plan(String role, Stage stage, Stage trigger, double at, double restartAfterSeconds) {}

  public static Result run(ConfigSource environment, Options o, PrintStream out) throws Exception {
    out.printf("chaos: seed %d, %d broker nodes, %d instances per service%n", o.seed(), o.brokers(), o.instances());
    if (environment.get("KAFKA_BOOTSTRAP_SERVERS").isPresent()) {
      throw new ConfigException("chaos starts its own cluster to kill its nodes; unset KAFKA_BOOTSTRAP_SERVERS");
    }
    Path base = environment.path("XMODAL_WORK_DIR", Path.of("work")).toAbsolutePath().normalize();
    Path dir = base.resolve("chaos").resolve(o.seed() + "-" + System.currentTimeMillis());
    Map<String, String> overrides = new HashMap<>();
    overrides.put("XMODAL_WORK_DIR", dir.toString());
    int ports = Ports.freeSeries(2 * o.brokers(), 1); // node i: broker base + 2(i-1), controller base + 1 + 2(i-1)
    overrides.put("XMODAL_BROKER_PORT", Integer.toString(ports));
    overrides.put("XMODAL_CONTROLLER_PORT", Integer.toString(ports + 1));
    overrides.put("XMODAL_REGISTRY_PORT", Integer.toString(Ports.freePort()));
    overrides.put("KAFKA_NUM_STANDBY_REPLICAS", Integer.toString(o.standbys()));
    // a trainer that refits several times during the run (closed forms only: the run measures delivery, not quality)
    defaults(environment, overrides, Map.of("XMODAL_TRAINER_REFIT_PAIRS", "200", "XMODAL_TRAINER_MIN_PAIRS", "100",
        "XMODAL_TRAINER_MIN_HELD_OUT", "3", "XMODAL_TRAINER_GRID", "quick", "XMODAL_TRAINER_LEARNED", "false",
        "XMODAL_TRAINER_REFIT_INTERVAL", "20s"));
    // the single encoders unless set: the kills and counts do not depend on them, and eight service JVMs on a small
    // machine refit a 1,152×3,328 composite's statistics several times slower
    defaults(environment, overrides, Map.of("XMODAL_TEXT_MODEL", "minilm_l6_v2",
        "XMODAL_IMAGE_ENCODER", "mobilenetv2:flip"));
    ConfigSource source = environment.with(overrides);
    Path data = o.datasetPath() != null ? o.datasetPath()
        : PlatformConfig.from(source).sharedDir().resolve("datasets").resolve("flickr8k");
    Dataset dev = Flickr8k.load(data, Split.DEV, o.images());
    List<Plan> plans = plan(o);
    long t0 = System.nanoTime();
    try (ProcessStack stack = ProcessStack.start(source, EnumSet.allOf(Stack.Service.class), o.brokers(),
        o.instances(), false, w -> out.println("  " + (w.isEmpty() ? "ready" : w)),
        e -> out.printf("%s  %s%n", LocalTime.now().withNano(0), e))) {
      out.printf("chaos: cluster and %d service instances up in %.1f s; data in %s%n", 4 * o.instances(),
          (System.nanoTime() - t0) / 1e9, dir);
      stack.members().forEach(m -> out.printf("  %-18s pid %d%n", m.role(), m.process().pid()));
      ChaosLedger ledger = new ChaosLedger();
      List<String> imageIds = dev.images().stream().map(Dataset.Image::imageId).toList();
      List<String> captionIds = dev.captions().stream().map(Dataset.Caption::captionId).toList();
      List<String> queryIds = new ArrayList<>();
      for (int i = 0; i < o.queries(); i++) {
        queryIds.add("chaos-" + o.seed() + "-q" + i);
      }
      ledger.expect(Stage.INGEST, imageIds);
      ledger.expect(Stage.INGEST, captionIds);
      ledger.expect(Stage.ENCODE, imageIds);
      ledger.expect(Stage.ENCODE, captionIds);
      ledger.expect(Stage.TRAINER, captionIds);
      ledger.expect(Stage.QUERY, queryIds);
      try (Watch watch = Watch.start(stack.config(), stack.topics(), ledger)) {
        long start = System.nanoTime();
        Thread publisher = thread("chaos-publish", () -> new DatasetPublisher(stack.config(), stack.topics())
            .publish(dev, new PrintStream(OutputStream.nullOutputStream()), true, o.rate()));
        // the queries start once a mapping is live, so that they exercise the search
        Thread querier = thread("chaos-queries", () -> {
          watch.awaitFirstVersion(ledger, o.timeout());
          out.printf("%s  chaos: sending %d queries%n", LocalTime.now().withNano(0), queryIds.size());
          sendQueries(stack.config(), stack.topics(), dev, queryIds, o.queryRate());
        });
        List<Kill> kills = new CopyOnWriteArrayList<>();
        List<Thread> killers = new ArrayList<>();
        for (Plan p : plans) {
          killers.add(thread("chaos-kill-" + p.role(), () -> kill(stack, p, ledger, watch, start, kills, out)));
        }
        int heldOutPercent = TrainerConfig.from(source, stack.config()).heldOutPercent();
        long trainingPairs = dev.trainingPairs(id -> HeldOut.isHeldOut(id, heldOutPercent));
        awaitDelivery(ledger, o.timeout(), start, out);
        awaitTrainer(watch, trainingPairs, Duration.ofMinutes(5), start, out);
        publisher.join();
        querier.join();
        for (Thread k : killers) {
          k.join(Duration.ofMinutes(5).toMillis());
        }
        watch.awaitQuiet(Duration.ofSeconds(15), Duration.ofMinutes(2));
        List<Kill> done = new ArrayList<>(kills);
        done.replaceAll(k -> new Kill(k.role(), k.pid(), k.stage(), k.at(), k.back(),
            watch.resumedAfter(k.stage(), start, k.at())));
        List<ChaosLedger.Row> rows = watch.rows();
        long inputs = imageIds.size() + captionIds.size() + queryIds.size();
        long lost = watch.lost();
        long duplicated = watch.duplicated();
        print(rows, done, out);
        long[] ae = watch.answeredAndErrors();
        out.printf("query results: %d answered with a mapping, %d with an error (e.g. no mapping live yet)%n", ae[0],
            ae[1]);
        out.printf("chaos: inputs %d lost %d duplicated %d kills %d seed %d%n", inputs, lost, duplicated, done.size(),
            o.seed());
        return new Result(inputs, lost, duplicated, done, rows, ae[0], o.seed());
      }
    } finally {
      if (!o.keep()) {
        Folders.deleteQuietly(dir);
      }
    }
  }

  private static void defaults(ConfigSource environment, Map<String, String> overrides, Map<String, String> values) {
    values.forEach((k, v) -> {
      if (environment.get(k).isEmpty()) {
        overrides.put(k, v);
      }
    });
  }

  /**
   * The four kills, drawn from the seed: which instance (or node), at what share of its stage's output, and how long
   * it stays down. A stage is killed while it has work left: encode-stream, mapping-trainer (which pairs the encoded
   * items) and the broker node by the share of embeddings delivered, query-stream by the share of results.
   */
  private static List<Plan> plan(Options o) {
    Random r = new Random(o.seed());
    List<Plan> plans = new ArrayList<>();
    plans.add(new Plan("encode-stream-" + (1 + r.nextInt(o.instances())), Stage.ENCODE, Stage.ENCODE,
        0.1 + 0.5 * r.nextDouble(), 2 + 4 * r.nextDouble()));
    plans.add(new Plan("mapping-trainer-" + (1 + r.nextInt(o.instances())), Stage.TRAINER, Stage.ENCODE,
        0.2 + 0.6 * r.nextDouble(), 2 + 4 * r.nextDouble()));
    plans.add(new Plan("query-stream-" + (1 + r.nextInt(o.instances())), Stage.QUERY, Stage.QUERY,
        0.1 + 0.5 * r.nextDouble(), 2 + 4 * r.nextDouble()));
    plans.add(new Plan("broker-" + (1 + r.nextInt(o.brokers())), null, Stage.ENCODE, 0.1 + 0.6 * r.nextDouble(),
        4 + 6 * r.nextDouble()));
    return plans;
  }

  private static void kill(ProcessStack stack, Plan p, ChaosLedger ledger, Watch watch, long start, List<Kill> kills,
                           PrintStream out) {
    try {
      while (watch.share(p.trigger()) < p.at()) {
        Thread.sleep(100);
      }
      ProcessStack.Member m = stack.member(p.role());
      long pid = m.process().pid();
      double at = (System.nanoTime() - start) / 1e9;
      m.kill();
      out.printf("%s  chaos: killed %s (pid %d) at %.1f s (%s %.0f%% delivered)%n", LocalTime.now().withNano(0),
          p.role(), pid, at, p.trigger().label(), 100 * watch.share(p.trigger()));
      Thread.sleep((long) (p.restartAfterSeconds() * 1000));
      m.restart();
      double back = (System.nanoTime() - start) / 1e9;
      out.printf("%s  chaos: %s back (pid %d) at %.1f s%n", LocalTime.now().withNano(0), p.role(), m.process().pid(),
          back);
      kills.add(new Kill(p.role(), pid, p.stage(), at, back, -1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      out.println("chaos: " + p.role() + ": " + e.getMessage());
    }
  }

  /** Waits until every stage delivered every input (the trainer: until encode-stream has), printing progress. */
  private static void awaitDelivery(ChaosLedger ledger, Duration timeout, long start, PrintStream out)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long nextReport = 0;
    while (System.nanoTime() < deadline) {
      boolean done;
      String progress;
      synchronized (ledger) {
        done = ledger.delivered(Stage.INGEST) == ledger.expected(Stage.INGEST)
            && ledger.delivered(Stage.ENCODE) == ledger.expected(Stage.ENCODE)
            && ledger.delivered(Stage.QUERY) == ledger.expected(Stage.QUERY);
        progress = String.format("ingest %d/%d, embeddings %d/%d, results %d/%d, mapping versions %s",
            ledger.delivered(Stage.INGEST), ledger.expected(Stage.INGEST), ledger.delivered(Stage.ENCODE),
            ledger.expected(Stage.ENCODE), ledger.delivered(Stage.QUERY), ledger.expected(Stage.QUERY),
            ledger.latestVersions());
      }
      if (done) {
        out.printf("chaos: everything delivered at %.1f s (%s)%n", (System.nanoTime() - start) / 1e9, progress);
        return;
      }
      if (System.nanoTime() >= nextReport) {
        out.printf("%s  chaos: %s%n", LocalTime.now().withNano(0), progress);
        nextReport = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      }
      Thread.sleep(250);
    }
    out.printf("chaos: not everything was delivered within %s; counting what was%n", timeout);
  }

  /**
   * Waits until the trainer has published a version fitted on every training pair (it refits on an interval, and a
   * quality gate may refuse a candidate, so this is bounded), so that its kill is followed by its own recovery.
   */
  private static void awaitTrainer(Watch watch, long trainingPairs, Duration atMost, long start, PrintStream out)
      throws InterruptedException {
    long deadline = System.nanoTime() + atMost.toNanos();
    while (watch.maxPairsUsed() < trainingPairs && System.nanoTime() < deadline) {
      Thread.sleep(250);
    }
    if (watch.maxPairsUsed() >= trainingPairs) {
      out.printf("chaos: the trainer published a version fitted on all %d training pairs at %.1f s%n", trainingPairs,
          (System.nanoTime() - start) / 1e9);
    } else {
      out.printf("chaos: no version fitted on all %d training pairs within %s of the rest (the most: %d; a refit "
          + "refused by the quality gate publishes nothing)%n", trainingPairs, atMost, watch.maxPairsUsed());
    }
  }

  private static void sendQueries(PlatformConfig config, TopicCatalogue topics, Dataset dev, List<String> ids,
                                  double perSecond) {
    Map<String, Object> props = new HashMap<>(config.clientConfig());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "xmodal-chaos-queries");
    try (KafkaProducer<String, Query> producer = new KafkaProducer<>(props, new StringSerializer(),
        topics.queries().valueSerde().serializer())) {
      long start = System.nanoTime();
      for (int i = 0; i < ids.size(); i++) {
        DatasetPublisher.pace(start, i, perSecond);
        Dataset.Caption c = dev.captions().get(i % dev.captions().size());
        Query q = Query.newBuilder().setQueryId(ids.get(i)).setModality(Modality.TEXT).setText(c.text()).setK(10)
            .setExpectedIds(List.of(c.imageId())).setSentAt(Instant.now()).build();
        producer.send(new ProducerRecord<>(topics.queries().name(), q.getQueryId(), q));
      }
      producer.flush();
    }
  }

  private static Thread thread(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * One table: a row per stage (its counts and the kill of one of its instances), and a row for the broker node
   * killed (the cluster's; its recovery is that of the stages whose output flows all along).
   */
  private static void print(List<ChaosLedger.Row> rows, List<Kill> kills, PrintStream out) {
    String line = "%-16s %7s %8s %5s %11s %13s  %-23s %7s %7s %10s%n";
    out.printf("%n" + line, "stage", "inputs", "outputs", "lost", "duplicated", "dead-letters", "killed", "at s",
        "back s", "resumed s");
    for (ChaosLedger.Row r : rows) {
      Kill k = kills.stream().filter(x -> x.stage() == r.stage()).findFirst().orElse(null);
      out.printf(line, r.stage().label(), r.inputs(), r.outputs(), r.lost(), r.duplicated(), r.deadLetters(),
          k == null ? "-" : k.role() + " " + k.pid(), k == null ? "" : at(k), k == null ? "" : back(k),
          k == null ? "" : resumed(k));
    }
    for (Kill k : kills) {
      if (k.stage() == null) {
        out.printf(line, "(cluster)", "", "", "", "", "", k.role() + " " + k.pid(), at(k), back(k), resumed(k));
      }
    }
    out.println("(mapping-trainer: pairs in, mapping versions out, a gap counted as lost. back: from SIGKILL until "
        + "the restarted process was ready; resumed: until every output partition of the stage that committed again "
        + "after the kill had done so: for mapping-trainer its next version, for a broker node the outputs of ingest, "
        + "encode-stream and query-stream)");
  }

  private static String at(Kill k) {
    return String.format("%.1f", k.at());
  }

  private static String back(Kill k) {
    return String.format("%.1f", k.back() - k.at());
  }

  private static String resumed(Kill k) {
    return k.resumed() < 0 ? "no output" : String.format("%.1f", k.resumed() - k.at());
  }

  /**
   * Reads the output topics (read_committed) in its own thread into the ledger, and remembers when each output
   * partition committed something (for the recovery times).
   */
  static final class Watch implements AutoCloseable {
    private final ChaosLedger ledger;
    private final TopicCatalogue topics;
    private final OutputCursor cursor;
    private final Thread thread;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Map<TopicPartition, List<Long>> seen = new ConcurrentHashMap<>();
    private volatile long lastOutputNanos = System.nanoTime();
    private volatile long maxPairsUsed;
    private long answered;
    private long errors;
    private volatile RuntimeException failure;

    private Watch(PlatformConfig config, TopicCatalogue topics, ChaosLedger ledger) {
      this.ledger = ledger;
      this.topics = topics;
      this.cursor = OutputCursor.start(config, topics, outputTopics(topics), Set.of());
      this.thread = new Thread(this::loop, "chaos-watch");
      thread.setDaemon(true);
    }

    static Watch start(PlatformConfig config, TopicCatalogue topics, ChaosLedger ledger) {
      Watch w = new Watch(config, topics, ledger);
      w.thread.start();
      return w;
    }

    private static List<String> outputTopics(TopicCatalogue t) {
      return List.of(t.images().name(), t.captions().name(), t.imageEmbeddings().name(), t.textEmbeddings().name(),
          t.mappings().name(), t.results().name(), t.rejected().name());
    }

    private void loop() {
      try {
        while (!stop.get()) {
          cursor.poll(Duration.ofMillis(200), this::accept);
        }
      } catch (RuntimeException e) {
        failure = e;
      }
    }

    private void accept(ConsumerRecord<byte[], byte[]> r) {
      long now = System.nanoTime();
      lastOutputNanos = now;
      seen.computeIfAbsent(new TopicPartition(r.topic(), r.partition()), tp -> new CopyOnWriteArrayList<>()).add(now);
      String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
      String topic = r.topic();
      synchronized (ledger) {
        if (topic.equals(topics.rejected().name())) {
          Rejection rej = topics.rejected().valueSerde().deserializer().deserialize(topic, r.value());
          Stage stage = stageOfInput(rej == null ? "" : rej.getSourceTopic());
          if (stage != null) {
            ledger.deadLetter(stage);
          }
        } else if (topic.equals(topics.mappings().name())) {
          MappingModel m = r.value() == null ? null
              : topics.mappings().valueSerde().deserializer().deserialize(topic, r.value());
          if (m != null) {
            ledger.version(key, m.getVersion());
            maxPairsUsed = Math.max(maxPairsUsed, MappingCodec.trainingPairs(m));
          }
        } else if (r.value() != null && key != null) {
          ledger.output(stageOfOutput(topic), key);
          if (topic.equals(topics.results().name())) {
            QueryResult result = topics.results().valueSerde().deserializer().deserialize(topic,
                r.value());
            if (result != null && result.getError() != null) {
              errors++;
            } else {
              answered++;
            }
          }
        }
      }
    }

    private Stage stageOfOutput(String topic) {
      if (topic.equals(topics.images().name()) || topic.equals(topics.captions().name())) {
        return Stage.INGEST;
      }
      if (topic.equals(topics.imageEmbeddings().name()) || topic.equals(topics.textEmbeddings().name())) {
        return Stage.ENCODE;
      }
      return Stage.QUERY;
    }

    private Stage stageOfInput(String sourceTopic) {
      if (sourceTopic.equals(topics.imagesRaw().name()) || sourceTopic.equals(topics.captionsRaw().name())) {
        return Stage.INGEST;
      }
      if (sourceTopic.equals(topics.images().name()) || sourceTopic.equals(topics.captions().name())) {
        return Stage.ENCODE;
      }
      if (sourceTopic.equals(topics.queries().name())) {
        return Stage.QUERY;
      }
      return sourceTopic.isEmpty() ? null : Stage.TRAINER;
    }

    private List<String> outputsOf(Stage stage) {
      if (stage == null) {
        // a broker node: the stages whose output flows all along (the trainer's versions come only with refits)
        return List.of(topics.images().name(), topics.captions().name(), topics.imageEmbeddings().name(),
            topics.textEmbeddings().name(), topics.results().name());
      }
      return switch (stage) {
        case INGEST -> List.of(topics.images().name(), topics.captions().name());
        case ENCODE -> List.of(topics.imageEmbeddings().name(), topics.textEmbeddings().name());
        case TRAINER -> List.of(topics.mappings().name());
        case QUERY -> List.of(topics.results().name());
      };
    }

    /** Waits until a mapping version is committed, or {@code atMost} passed. */
    void awaitFirstVersion(ChaosLedger ledger, Duration atMost) {
      long deadline = System.nanoTime() + atMost.toNanos();
      try {
        while (System.nanoTime() < deadline) {
          synchronized (ledger) {
            if (!ledger.latestVersions().isEmpty()) {
              return;
            }
          }
          Thread.sleep(250);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** Results that carried hits (answered with a mapping), and results that carried an error. */
    long[] answeredAndErrors() {
      synchronized (ledger) {
        return new long[] {answered, errors};
      }
    }

    /** The most training pairs a committed mapping version was fitted on. */
    long maxPairsUsed() {
      return maxPairsUsed;
    }

    /** The share of a stage's expected outputs delivered so far. */
    double share(Stage stage) {
      synchronized (ledger) {
        long expected = ledger.expected(stage);
        return expected == 0 ? 1 : (double) ledger.delivered(stage) / expected;
      }
    }

    /**
     * Seconds since {@code start} at which every output partition of {@code stage} (null: of every stage) that
     * committed anything after {@code atSeconds} had done so; -1 if none did.
     */
    double resumedAfter(Stage stage, long start, double atSeconds) {
      long at = start + (long) (atSeconds * 1e9);
      long latestFirst = -1;
      for (Map.Entry<TopicPartition, List<Long>> e : seen.entrySet()) {
        if (!outputsOf(stage).contains(e.getKey().topic()) || e.getKey().topic().equals(topics.rejected().name())) {
          continue;
        }
        long first = e.getValue().stream().filter(t -> t > at).mapToLong(Long::longValue).min().orElse(-1);
        if (first > latestFirst) {
          latestFirst = first;
        }
      }
      return latestFirst < 0 ? -1 : (latestFirst - start) / 1e9;
    }

    /** Waits until nothing new was committed for {@code quiet} (late duplicates would show up meanwhile). */
    void awaitQuiet(Duration quiet, Duration atMost) throws InterruptedException {
      long deadline = System.nanoTime() + atMost.toNanos();
      while (System.nanoTime() < deadline && System.nanoTime() - lastOutputNanos < quiet.toNanos()) {
        Thread.sleep(250);
      }
      if (failure != null) {
        throw new IllegalStateException("reading the output topics failed: " + failure.getMessage(), failure);
      }
    }

    List<ChaosLedger.Row> rows() {
      synchronized (ledger) {
        return ledger.rows();
      }
    }

    long lost() {
      synchronized (ledger) {
        return ledger.lost();
      }
    }

    long duplicated() {
      synchronized (ledger) {
        return ledger.duplicated();
      }
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      thread.join(Duration.ofSeconds(10).toMillis());
      cursor.close();
    }
  }
}
