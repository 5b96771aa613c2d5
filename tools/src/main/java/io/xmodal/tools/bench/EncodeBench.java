package io.xmodal.tools.bench;

import io.xmodal.client.dataset.Dataset;
import io.xmodal.client.publish.Progress;
import io.xmodal.embedded.EmbeddedRuntime;
import io.xmodal.encode.EncodeConfig;
import io.xmodal.encode.EncodeService;
import io.xmodal.encode.EncodeTopology;
import io.xmodal.encoders.EncoderSession;
import io.xmodal.encoders.Encoders;
import io.xmodal.encoders.image.ImageDecoder;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.config.TopicSettings;
import io.xmodal.platform.process.Ports;
import io.xmodal.platform.process.Rss;
import io.xmodal.platform.serde.RegistryAvroSerdes;
import io.xmodal.platform.service.ServiceAssembly;
import io.xmodal.platform.service.SharedResources;
import io.xmodal.platform.streams.StreamsService;
import io.xmodal.platform.topics.TopicAdmin;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.platform.topics.TopicSpec;
import io.xmodal.schemas.CaptionEvent;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.ImageEvent;
import io.xmodal.schemas.MetricEvent;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Measures, on the same data: the raw encoders (decode/tokenise + encode, no Kafka) at batch 1, 8 and 32, and
 * encode-stream end to end through a real embedded broker and registry at the configured batch, per modality.
 * The stream phase starts encode-stream on empty topics, waits for RUNNING, then sends the records (serialised
 * beforehand) and times until the last embedding is committed (read_committed). Each phase also measures process CPU
 * time: the JVM's for the raw loop; the JVM's and the broker child's for the stream (see {@link CpuClock}).
 */
public final class EncodeBench {

  static final int[] BATCHES = {1, 8, 32};

  private final ConfigSource source;
  private final PrintStream out;
  private final int repeat;

  /** @param repeat each record is sent this many times to the stream phases, under distinct ids */
  public EncodeBench(ConfigSource source, PrintStream out, int repeat) {
    if (repeat < 1) {
      throw new IllegalArgumentException("repeat must be at least 1, got " + repeat);
    }
    this.source = source;
    this.out = out;
    this.repeat = repeat;
  }

  /** What a topology for the stream phase is assembled from: its settings (own application id) and topics. */
  @FunctionalInterface
  private interface Assembler {
    ServiceAssembly assemble(EncodeConfig config, TopicCatalogue topics);
  }

  /**
   * One measured phase: items per second of wall time, and the CPU it took (this JVM, the broker, the registry), in
   * nanoseconds, over {@code items} items.
   */
  public record Run(double rate, CpuClock.Sample cpu, long items) {

    /** CPU milliseconds per item that the phase's figure counts: the JVM for the raw loop, JVM + broker for a stream. */
    double cpuMsPerItem() {
      return cpu.stream() / 1e6 / items;
    }

    double jvmMsPerItem() {
      return cpu.jvm() / 1e6 / items;
    }

    double brokerMsPerItem() {
      return cpu.broker() / 1e6 / items;
    }
  }

  /**
   * @param raw         one raw loop per batch size
   * @param rawCores    {@code streamThreads} raw loops side by side at the stream's batch (each its own session and
   *                    share of the items): what the encoders give on that many cores
   * @param stream      encode-stream with its configured stream threads
   * @param streamBatch the stream's image batch ({@code XMODAL_ENCODE_BATCH_SIZE})
   * @param textBatch   the stream's caption batch ({@code XMODAL_ENCODE_TEXT_BATCH_SIZE})
   * @param oneThread   encode-stream with one stream thread (only measured when more are configured)
   */
  public record Result(Map<String, Map<Integer, Run>> raw, Map<String, Run> rawCores, Map<String, Run> stream,
                       Map<String, Run> oneThread, int streamBatch, int textBatch, int streamThreads) {

    /** Stream over raw items per second of wall time, on the same number of cores. */
    double ratio(String modality) {
      return stream.get(modality).rate() / rawCores.get(modality).rate();
    }

    /** The configured stream threads' rate over one stream thread's. */
    double speedup(String modality) {
      return oneThread.containsKey(modality) ? stream.get(modality).rate() / oneThread.get(modality).rate() : 1.0;
    }

    /**
     * Stream over raw items per CPU-second: raw CPU per item (at the stream's batch) over the stream's CPU per item
     * (this JVM + the broker). 1.00 means the pipeline around the encoder costs no CPU; 0.50 that it costs as much
     * as the encoder.
     */
    double cpuRatio(String modality) {
      return rawAtStreamBatch(modality).cpuMsPerItem() / stream.get(modality).cpuMsPerItem();
    }

    /** The raw loop at the batch the stream used for {@code modality} ("text" or "image"). */
    Run rawAtStreamBatch(String modality) {
      return raw.get(modality).get(modality.equals("text") ? textBatch : streamBatch);
    }
  }

  private static ConfigSource benchSource(ConfigSource source, Path runDir) {
    return source.with(Map.of(
        "XMODAL_WORK_DIR", runDir.toString(),
        "XMODAL_BROKER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_CONTROLLER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_REGISTRY_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_METRICS_INTERVAL", "1s"));
  }

  /**
   * The pipeline's own ceiling: the same encode-stream, on the same broker set-up, with {@link NearFreeEncoders} in
   * place of the models; items per second per modality. What a worker whose encoder costs nothing (a fast GPU) would
   * be capped by.
   */
  public Map<String, Run> ceiling(Dataset data, Path work) throws Exception {
    Path runDir = Files.createTempDirectory(Files.createDirectories(work), "bench-ceiling-");
    ConfigSource benchSource = benchSource(source, runDir);
    PlatformConfig platform = PlatformConfig.from(benchSource);
    EncodeConfig config = EncodeConfig.from(benchSource, platform);
    out.printf("pipeline ceiling: %d images, %d captions from %s, each sent %d times; near-free models on %s; "
            + "stream batch %d images, %d captions, max wait %d ms, decode threads %d%n", data.images().size(),
        data.captions().size(), data.name(), repeat, config.encoders().device(), config.batchSize(),
        config.textBatchSize(), config.maxWait().toMillis(), config.decodeThreads());
    try (NearFreeEncoders nearFree = NearFreeEncoders.load(config.encoders(), runDir.resolve("near-free"));
         EmbeddedRuntime runtime = EmbeddedRuntime.start(platform, benchSource.get("XMODAL_REGISTRY_DIST"),
             Duration.ofMinutes(2))) {
      PlatformConfig live = platform.withEndpoints(runtime.bootstrapServers(), runtime.registry().apiUrl());
      CpuClock clock = CpuClock.withChildren(runtime.broker().process().pid(), runtime.registry().process().pid());
      Assembler assembler = (c, topics) -> ServiceAssembly.of("encode-stream",
          EncodeTopology.buildTopology(c, topics, nearFree.models()), c.streamsProperties(live, topics));
      Map<String, Run> stream = new LinkedHashMap<>();
      stream.put("text", streamThroughput(live, config, assembler, "ceiling-text", data, false, clock));
      stream.put("image", streamThroughput(live, config, assembler, "ceiling-image", data, true, clock));
      out.println();
      out.printf("encode-stream with near-free models (batches of %d images, %d captions, exactly-once): items/s, and "
          + "CPU ms per item (process CPU time, every thread: this JVM + the broker child, from RUNNING to the last "
          + "embedding read)%n", config.batchSize(), config.textBatchSize());
      out.printf("  %-8s %10s %10s %10s %10s%n", "", "items/s", "JVM", "broker", "total");
      stream.forEach((modality, run) -> out.printf("  %-8s %10.1f %10.3f %10.3f %10.3f%n", modality, run.rate(),
          run.jvmMsPerItem(), run.brokerMsPerItem(), run.cpuMsPerItem()));
      out.printf("pipeline ceiling: images %d/s, captions %d/s%n", Math.round(stream.get("image").rate()),
          Math.round(stream.get("text").rate()));
      return stream;
    }
  }

  /** The raw loops' batch sizes: {@link #BATCHES} and the stream's. */
  private static int[] batches(int streamBatch) {
    return IntStream.concat(Arrays.stream(BATCHES), IntStream.of(streamBatch)).distinct().sorted().toArray();
  }

  public Result run(Dataset data, Path work) throws Exception {
    Path runDir = Files.createTempDirectory(Files.createDirectories(work), "bench-encode-");
    ConfigSource benchSource = benchSource(source, runDir);
    PlatformConfig platform = PlatformConfig.from(benchSource);
    EncodeConfig config = EncodeConfig.from(benchSource, platform);
    List<byte[]> imageBytes = new ArrayList<>();
    for (Dataset.Image image : data.images()) {
      imageBytes.add(read(image.file()));
    }
    List<String> texts = data.captions().stream().map(Dataset.Caption::text).toList();
    out.printf("encode benchmark: %d images, %d captions from %s; device %s; stream batch %d images, %d captions, "
            + "max wait %d ms, decode threads %d, stream threads %d%n", imageBytes.size(), texts.size(), data.name(),
        config.encoders().device(), config.batchSize(), config.textBatchSize(), config.maxWait().toMillis(),
        config.decodeThreads(), config.streamThreads());

    SharedResources shared = new SharedResources();
    try (SharedResources.Handle<Encoders> held = shared.acquire(config.encoders(),
        () -> Encoders.load(config.encoders()))) {
      Encoders encoders = held.get();
      out.printf("encoders: %s on %s, %s on %s%n", encoders.text().info().name(), encoders.text().device(),
          encoders.image().info().name(), encoders.image().device());
      Map<String, Map<Integer, Run>> raw = new LinkedHashMap<>();
      raw.put("text", rawThroughput("text", encoders.text().newSession(), texts, Function.identity(),
          batches(config.textBatchSize())));
      raw.put("image", rawThroughput("image", encoders.image().newSession(), imageBytes, ImageDecoder::decodeRgb,
          batches(config.batchSize())));
      int cores = config.streamThreads();
      Map<String, Run> rawCores = new LinkedHashMap<>();
      rawCores.put("text", cores == 1 ? raw.get("text").get(config.textBatchSize())
          : rawSideBySide("text", encoders.text()::newSession, texts, Function.identity(), config.textBatchSize(),
              cores));
      rawCores.put("image", cores == 1 ? raw.get("image").get(config.batchSize())
          : rawSideBySide("image", encoders.image()::newSession, imageBytes, ImageDecoder::decodeRgb,
              config.batchSize(), cores));

      Map<String, Run> stream = new LinkedHashMap<>();
      try (EmbeddedRuntime runtime = EmbeddedRuntime.start(platform, benchSource.get("XMODAL_REGISTRY_DIST"),
          Duration.ofMinutes(2))) {
        PlatformConfig live = platform.withEndpoints(runtime.bootstrapServers(), runtime.registry().apiUrl());
        CpuClock clock = CpuClock.withChildren(runtime.broker().process().pid(), runtime.registry().process().pid());
        Assembler assembler = (c, topics) -> new EncodeService().assemble(c, live, topics, shared);
        stream.put("text", streamThroughput(live, config, assembler, "bench-text", data, false, clock));
        stream.put("image", streamThroughput(live, config, assembler, "bench-image", data, true, clock));
        Map<String, Run> oneThread = new LinkedHashMap<>();
        if (cores > 1) {
          EncodeConfig single = config.withStreamThreads(1);
          oneThread.put("text", streamThroughput(live, single, assembler, "bench-text-1", data, false, clock));
          oneThread.put("image", streamThroughput(live, single, assembler, "bench-image-1", data, true, clock));
        }
        Result result = new Result(raw, rawCores, stream, oneThread, config.batchSize(), config.textBatchSize(),
            cores);
        report(result, runtime);
        return result;
      }
    }
  }

  private <I, V> Map<Integer, Run> rawThroughput(String modality, EncoderSession<I> session, List<V> items,
                                                 Function<V, I> prepare, int[] batches) {
    Map<Integer, Run> perBatch = new LinkedHashMap<>();
    CpuClock clock = CpuClock.jvmOnly();
    try (session) {
      // warm-up: first calls allocate and optimise
      session.encode(items.subList(0, Math.min(16, items.size())).stream().map(prepare).toList());
      for (int batch : batches) {
        Progress progress = new Progress("raw " + modality + " batch " + batch, items.size(), out);
        CpuClock.Sample cpu0 = clock.now();
        long t0 = System.nanoTime();
        for (int i = 0; i < items.size(); i += batch) {
          List<I> inputs = items.subList(i, Math.min(items.size(), i + batch)).stream().map(prepare).toList();
          session.encode(inputs);
          progress.advance(inputs.size());
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        CpuClock.Sample cpu = clock.now().minus(cpu0);
        progress.finish();
        perBatch.put(batch, new Run(items.size() / seconds, cpu, items.size()));
      }
    }
    return perBatch;
  }

  // n raw loops at once, each with its own session over its own share of the items, timed together
  private <I, V> Run rawSideBySide(String modality, Supplier<EncoderSession<I>> sessions,
                                   List<V> items, Function<V, I> prepare, int batch, int n) throws Exception {
    CpuClock clock = CpuClock.jvmOnly();
    List<EncoderSession<I>> opened = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      for (int t = 0; t < n; t++) {
        EncoderSession<I> session = sessions.get();
        opened.add(session);
        session.encode(items.subList(0, Math.min(16, items.size())).stream().map(prepare).toList());
      }
      Progress progress = new Progress("raw " + modality + " batch " + batch + " on " + n + " threads", items.size(),
          out);
      CpuClock.Sample cpu0 = clock.now();
      long t0 = System.nanoTime();
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < n; t++) {
        EncoderSession<I> session = opened.get(t);
        List<V> share = items.subList(items.size() * t / n, items.size() * (t + 1) / n);
        done.add(pool.submit(() -> {
          for (int i = 0; i < share.size(); i += batch) {
            List<I> inputs = share.subList(i, Math.min(share.size(), i + batch)).stream().map(prepare).toList();
            session.encode(inputs);
            synchronized (progress) {
              progress.advance(inputs.size());
            }
          }
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      CpuClock.Sample cpu = clock.now().minus(cpu0);
      progress.finish();
      return new Run(items.size() / seconds, cpu, items.size());
    } finally {
      pool.shutdownNow();
      for (EncoderSession<I> s : opened) {
        s.close();
      }
    }
  }

  private Run streamThroughput(PlatformConfig live, EncodeConfig config, Assembler assembler, String prefix,
                               Dataset data, boolean images, CpuClock clock) throws Exception {
    TopicSettings settings = new TopicSettings(prefix, live.topics().partitions(), live.topics().replication(),
        live.topics().maxMessageBytes());
    TopicCatalogue topics = TopicCatalogue.create(settings, RegistryAvroSerdes.of(live));
    TopicAdmin.ensureTopics(live.clientConfig(), topics, Duration.ofSeconds(60));
    // serialised (and their schema registered) before the clock starts: the phase pays for sending, not for Avro
    List<ProducerRecord<byte[], byte[]>> inputs = images ? imageRecords(topics.images(), data, repeat)
        : captionRecords(topics.captions(), data, repeat);
    int n = inputs.size();
    TopicSpec<String, Embedding> output = images ? topics.imageEmbeddings() : topics.textEmbeddings();

    Map<String, Object> props = live.consumerConfig();
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.GROUP_ID_CONFIG, prefix + "-counter");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
         KafkaProducer<byte[], byte[]> producer = producer(live)) {
      consumer.subscribe(List.of(output.name()));
      // encode-stream as it is defined, under its own application id, on the encoders already loaded
      EncodeConfig bench = config.withApplicationId("xmodal-bench-" + prefix);
      try (ServiceAssembly assembly = assembler.assemble(bench, topics);
           StreamsService service = StreamsService.start(assembly.name(), assembly.topology(),
               assembly.properties())) {
        service.awaitRunning(Duration.ofMinutes(2));
        // the inputs go in once the stream runs on empty topics (pre-loaded, a stream task can be processing them
        // before the instance as a whole reports RUNNING)
        CpuClock.Sample cpu0 = clock.now();
        long t0 = System.nanoTime();
        for (ProducerRecord<byte[], byte[]> r : inputs) {
          producer.send(r, EncodeBench::failOnError);
        }
        producer.flush();
        Progress progress = new Progress("stream " + (images ? "image" : "text"), n, out);
        long seen = 0;
        long deadline = t0 + Duration.ofMinutes(20).toNanos();
        while (seen < n && System.nanoTime() < deadline) {
          seen += consumer.poll(Duration.ofMillis(100)).count();
          progress.set(seen);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        CpuClock.Sample cpu = clock.now().minus(cpu0);
        progress.finish();
        if (seen < n) {
          throw new IllegalStateException("only " + seen + " of " + n + " embeddings after 20 minutes");
        }
        Thread.sleep(1500);
        out.printf("  inside the stream: %s%n", encoderTime(live, topics, images ? "images" : "captions"));
        return new Run(n / seconds, cpu, n);
      }
    }
  }

  /** What the processors report: items encoded and the time spent in encode calls. */
  private static String encoderTime(PlatformConfig live, TopicCatalogue topics, String kind) {
    Map<String, Object> props = live.consumerConfig();
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    double items = 0;
    double encodeSeconds = 0;
    try (KafkaConsumer<String, MetricEvent> consumer = new KafkaConsumer<>(props,
        new StringDeserializer(), topics.metrics().valueSerde().deserializer())) {
      var partitions = consumer.partitionsFor(topics.metrics().name()).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      Map<String, Double> encodedInWindow = new HashMap<>();
      Map<String, Double> rateInWindow = new HashMap<>();
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        for (var r : consumer.poll(Duration.ofMillis(200))) {
          var m = r.value();
          String window = m.getTags().get("partition") + "@" + m.getWindowEnd();
          if (m.getName().equals("encode." + kind + ".encoded")) {
            encodedInWindow.put(window, m.getValue());
          } else if (m.getName().equals("encode." + kind + ".encoder_throughput")) {
            rateInWindow.put(window, m.getValue());
          }
        }
      }
      for (var e : encodedInWindow.entrySet()) {
        items += e.getValue();
        double rate = rateInWindow.getOrDefault(e.getKey(), 0.0);
        encodeSeconds += rate > 0 ? e.getValue() / rate : 0;
      }
    }
    return String.format("%.0f items, %.1f s in encode calls (%.1f items/s)", items, encodeSeconds,
        encodeSeconds > 0 ? items / encodeSeconds : 0);
  }

  /** The images as a producer would send them; copy r > 0 of each under the id {@code <imageId>~r}. */
  private static List<ProducerRecord<byte[], byte[]>> imageRecords(TopicSpec<String, ImageEvent> topic,
                                                                   Dataset data, int repeat) {
    var serializer = topic.valueSerde().serializer();
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int r = 0; r < repeat; r++) {
      for (Dataset.Image image : data.images()) {
        String id = copy(image.imageId(), r);
        ImageEvent event = ImageEvent.newBuilder().setImageId(id)
            .setBytes(ByteBuffer.wrap(read(image.file()))).setSource(data.name()).setProducedAt(Instant.now())
            .setContentType("image/jpeg").build();
        records.add(new ProducerRecord<>(topic.name(), key(id), serializer.serialize(topic.name(), event)));
      }
    }
    return records;
  }

  private static List<ProducerRecord<byte[], byte[]>> captionRecords(TopicSpec<String, CaptionEvent> topic,
                                                                     Dataset data, int repeat) {
    var serializer = topic.valueSerde().serializer();
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int r = 0; r < repeat; r++) {
      for (Dataset.Caption c : data.captions()) {
        String id = copy(c.captionId(), r);
        CaptionEvent event = CaptionEvent.newBuilder().setCaptionId(id).setImageId(copy(c.imageId(), r))
            .setText(c.text()).setSource(data.name()).setProducedAt(Instant.now()).build();
        records.add(new ProducerRecord<>(topic.name(), key(id), serializer.serialize(topic.name(), event)));
      }
    }
    return records;
  }

  private static String copy(String id, int r) {
    return r == 0 ? id : id + "~" + r;
  }

  private static byte[] key(String id) {
    return id.getBytes(StandardCharsets.UTF_8);
  }

  private static void failOnError(RecordMetadata md, Exception e) {
    if (e != null) {
      throw new IllegalStateException("pre-loading failed: " + e.getMessage(), e);
    }
  }

  private static KafkaProducer<byte[], byte[]> producer(PlatformConfig live) {
    Map<String, Object> props = new HashMap<>(live.producerConfig());
    props.put(ProducerConfig.LINGER_MS_CONFIG, 10);
    return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private void report(Result r, EmbeddedRuntime runtime) {
    out.println();
    out.println("raw encoder throughput, items/s (decode or tokenise included, no Kafka):");
    out.printf("  %-8s %10s %10s %10s%n", "", "batch 1", "batch 8", "batch 32");
    r.raw().forEach((modality, perBatch) -> out.printf("  %-8s %10.1f %10.1f %10.1f%n", modality,
        perBatch.get(1).rate(), perBatch.get(8).rate(), perBatch.get(32).rate()));
    out.printf("on %d cores, items/s: %d raw loop(s) side by side at the stream's batch (%d captions, %d images), "
            + "and encode-stream end to end through the embedded broker (exactly-once) with %d stream thread(s) and "
            + "with one:%n", Runtime.getRuntime().availableProcessors(), r.streamThreads(), r.textBatch(),
        r.streamBatch(), r.streamThreads());
    out.printf("  %-8s %12s %12s %12s %12s %12s%n", "", "raw", "stream", "stream, 1", "stream/raw", "speed-up");
    r.stream().forEach((modality, run) -> out.printf("  %-8s %12.1f %12.1f %12s %12.2f %12.2f%n", modality,
        r.rawCores().get(modality).rate(), run.rate(), r.oneThread().containsKey(modality)
            ? String.format("%.1f", r.oneThread().get(modality).rate()) : "-", r.ratio(modality),
        r.speedup(modality)));
    out.printf("CPU per item, ms (process CPU time, every thread; raw: this JVM, at the stream's batch; stream: this "
        + "JVM + the broker child, from RUNNING to the last embedding read):%n");
    out.printf("  %-8s %10s %10s %10s %10s %12s %10s%n", "", "raw", "stream JVM", "broker", "stream", "registry",
        "raw/stream");
    r.stream().forEach((modality, run) -> out.printf("  %-8s %10.2f %10.2f %10.2f %10.2f %12.3f %10.2f%n", modality,
        r.rawAtStreamBatch(modality).cpuMsPerItem(), run.jvmMsPerItem(), run.brokerMsPerItem(),
        run.cpuMsPerItem(), run.cpu().registry() / 1e6 / run.items(), r.cpuRatio(modality)));
    out.printf("peak RSS: bench JVM %s (encoders, streams, clients); broker %s; registry %s%n",
        Rss.format(Rss.peakSelf()), Rss.format(runtime.broker().process().rssBytes()),
        Rss.format(runtime.registry().process().rssBytes()));
    double lowerCpu = r.stream().keySet().stream().mapToDouble(r::cpuRatio).min().orElse(0);
    out.printf("stream/raw cpu-per-item ratio: %.2f%n", lowerCpu);
    double lower = r.stream().keySet().stream().mapToDouble(r::ratio).min().orElse(0);
    out.printf("stream/raw throughput ratio: %.2f%n", lower);
  }

  private static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

}
