package io.xmodal.app.bench;

import io.xmodal.app.dataset.Dataset;
import io.xmodal.app.publish.Progress;
import io.xmodal.encode.EncodeConfig;
import io.xmodal.encode.EncodeService;
import io.xmodal.encoders.Encoders;
import io.xmodal.encoders.EncoderSession;
import io.xmodal.encoders.image.ImageDecoder;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.config.TopicSettings;
import io.xmodal.platform.runtime.EmbeddedRuntime;
import io.xmodal.platform.runtime.Ports;
import io.xmodal.platform.runtime.Rss;
import io.xmodal.platform.serde.RegistryAvroSerdes;
import io.xmodal.platform.service.ServiceAssembly;
import io.xmodal.platform.service.SharedResources;
import io.xmodal.platform.streams.StreamsService;
import io.xmodal.platform.topics.TopicAdmin;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.platform.topics.TopicSpec;
import io.xmodal.schemas.CaptionEvent;
import io.xmodal.schemas.ImageEvent;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Measures, on the same data: the raw encoders (decode/tokenise + encode, no Kafka) at batch 1, 8 and 32, and
 * encode-stream end to end through a real embedded broker and registry at the configured batch, per modality.
 * The stream phase pre-loads the clean topic, starts encode-stream, and times from RUNNING to the last embedding
 * committed (read_committed).
 */
public final class EncodeBench {

  static final int[] BATCHES = {1, 8, 32};

  private final ConfigSource source;
  private final PrintStream out;

  public EncodeBench(ConfigSource source, PrintStream out) {
    this.source = source;
    this.out = out;
  }

  public record Result(Map<String, Map<Integer, Double>> raw, Map<String, Double> stream, int streamBatch) {
    double ratio(String modality) {
      return stream.get(modality) / raw.get(modality).get(streamBatch);
    }
  }

  public Result run(Dataset data, Path work) throws Exception {
    Path runDir = Files.createTempDirectory(Files.createDirectories(work), "bench-encode-");
    ConfigSource benchSource = source.with(Map.of(
        "XMODAL_WORK_DIR", runDir.toString(),
        "XMODAL_BROKER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_CONTROLLER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_REGISTRY_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_METRICS_INTERVAL", "1s"));
    PlatformConfig platform = PlatformConfig.from(benchSource);
    EncodeConfig config = EncodeConfig.from(benchSource, platform);
    List<byte[]> imageBytes = new ArrayList<>();
    for (Dataset.Image image : data.images()) {
      imageBytes.add(read(image.file()));
    }
    List<String> texts = data.captions().stream().map(Dataset.Caption::text).toList();
    out.printf("encode benchmark: %d images, %d captions from %s; device %s; stream batch %d, max wait %d ms%n",
        imageBytes.size(), texts.size(), data.name(), config.encoders().device(), config.batchSize(), config.maxWait().toMillis());

    SharedResources shared = new SharedResources();
    try (SharedResources.Handle<Encoders> held = shared.acquire(config.encoders(),
        () -> Encoders.load(config.encoders()))) {
      Encoders encoders = held.get();
      out.printf("encoders: %s on %s, %s on %s%n", encoders.text().info().name(), encoders.text().device(),
          encoders.image().info().name(), encoders.image().device());
      Map<String, Map<Integer, Double>> raw = new LinkedHashMap<>();
      raw.put("text", rawThroughput("text", encoders.text().newSession(), texts, Function.identity()));
      raw.put("image", rawThroughput("image", encoders.image().newSession(), imageBytes, ImageDecoder::decodeRgb));

      Map<String, Double> stream = new LinkedHashMap<>();
      try (EmbeddedRuntime runtime = EmbeddedRuntime.start(platform, benchSource.get("XMODAL_REGISTRY_DIST"),
          Duration.ofMinutes(2))) {
        PlatformConfig live = platform.withEndpoints(runtime.bootstrapServers(), runtime.registry().apiUrl());
        stream.put("text", streamThroughput(live, config, shared, "bench-text", data, false));
        stream.put("image", streamThroughput(live, config, shared, "bench-image", data, true));
        Result result = new Result(raw, stream, config.batchSize());
        report(result, runtime);
        return result;
      }
    }
  }

  private <I, V> Map<Integer, Double> rawThroughput(String modality, EncoderSession<I> session, List<V> items,
                                                    Function<V, I> prepare) {
    Map<Integer, Double> perBatch = new LinkedHashMap<>();
    try (session) {
      // warm-up: first calls allocate and optimise
      session.encode(items.subList(0, Math.min(16, items.size())).stream().map(prepare).toList());
      for (int batch : BATCHES) {
        Progress progress = new Progress("raw " + modality + " batch " + batch, items.size(), out);
        long t0 = System.nanoTime();
        for (int i = 0; i < items.size(); i += batch) {
          List<I> inputs = items.subList(i, Math.min(items.size(), i + batch)).stream().map(prepare).toList();
          session.encode(inputs);
          progress.advance(inputs.size());
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        progress.finish();
        perBatch.put(batch, items.size() / seconds);
      }
    }
    return perBatch;
  }

  private double streamThroughput(PlatformConfig live, EncodeConfig config, SharedResources shared, String prefix,
                                  Dataset data, boolean images) throws Exception {
    TopicSettings settings = new TopicSettings(prefix, live.topics().partitions(), live.topics().replication(),
        live.topics().maxMessageBytes());
    TopicCatalogue topics = TopicCatalogue.create(settings, RegistryAvroSerdes.of(live));
    TopicAdmin.ensureTopics(live.clientConfig(), topics, Duration.ofSeconds(60));
    int n = images ? preloadImages(live, topics.images(), data) : preloadCaptions(live, topics.captions(), data);
    TopicSpec<String, io.xmodal.schemas.Embedding> output = images ? topics.imageEmbeddings() : topics.textEmbeddings();

    Map<String, Object> props = live.consumerConfig();
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.GROUP_ID_CONFIG, prefix + "-counter");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(output.name()));
      // encode-stream as it is defined, under its own application id, on the encoders already loaded
      EncodeConfig bench = new EncodeConfig("xmodal-bench-" + prefix, config.batchSize(), config.maxWait(),
          config.encoders(), config.dlqPayloadCap(), config.metricsInterval(), config.commitInterval());
      try (ServiceAssembly assembly = new EncodeService().assemble(bench, live, topics, shared);
           StreamsService service = StreamsService.start(assembly.name(), assembly.topology(),
               assembly.properties())) {
        service.awaitRunning(Duration.ofMinutes(2));
        long t0 = System.nanoTime();
        Progress progress = new Progress("stream " + (images ? "image" : "text"), n, out);
        long seen = 0;
        long deadline = t0 + Duration.ofMinutes(20).toNanos();
        while (seen < n && System.nanoTime() < deadline) {
          seen += consumer.poll(Duration.ofMillis(100)).count();
          progress.set(seen);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        progress.finish();
        if (seen < n) {
          throw new IllegalStateException("only " + seen + " of " + n + " embeddings after 20 minutes");
        }
        Thread.sleep(1500);
        out.printf("  inside the stream: %s%n", encoderTime(live, topics, images ? "images" : "captions"));
        return n / seconds;
      }
    }
  }

  /** What the processors report: items encoded and the time spent in encode calls. */
  private static String encoderTime(PlatformConfig live, TopicCatalogue topics, String kind) {
    Map<String, Object> props = live.consumerConfig();
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    double items = 0;
    double encodeSeconds = 0;
    try (KafkaConsumer<String, io.xmodal.schemas.MetricEvent> consumer = new KafkaConsumer<>(props,
        new org.apache.kafka.common.serialization.StringDeserializer(), topics.metrics().valueSerde().deserializer())) {
      var partitions = consumer.partitionsFor(topics.metrics().name()).stream()
          .map(p -> new org.apache.kafka.common.TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<org.apache.kafka.common.TopicPartition, Long> end = consumer.endOffsets(partitions);
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

  private int preloadImages(PlatformConfig live, TopicSpec<String, ImageEvent> topic, Dataset data) {
    try (KafkaProducer<String, ImageEvent> producer = producer(live, topic)) {
      for (Dataset.Image image : data.images()) {
        producer.send(new ProducerRecord<>(topic.name(), image.imageId(), ImageEvent.newBuilder()
            .setImageId(image.imageId()).setBytes(ByteBuffer.wrap(read(image.file()))).setSource(data.name())
            .setProducedAt(Instant.now()).setContentType("image/jpeg").build()), EncodeBench::failOnError);
      }
    }
    return data.images().size();
  }

  private int preloadCaptions(PlatformConfig live, TopicSpec<String, CaptionEvent> topic, Dataset data) {
    try (KafkaProducer<String, CaptionEvent> producer = producer(live, topic)) {
      for (Dataset.Caption c : data.captions()) {
        producer.send(new ProducerRecord<>(topic.name(), c.captionId(), CaptionEvent.newBuilder()
            .setCaptionId(c.captionId()).setImageId(c.imageId()).setText(c.text()).setSource(data.name())
            .setProducedAt(Instant.now()).build()), EncodeBench::failOnError);
      }
    }
    return data.captions().size();
  }

  private static void failOnError(org.apache.kafka.clients.producer.RecordMetadata md, Exception e) {
    if (e != null) {
      throw new IllegalStateException("pre-loading failed: " + e.getMessage(), e);
    }
  }

  private static <V> KafkaProducer<String, V> producer(PlatformConfig live, TopicSpec<String, V> topic) {
    Map<String, Object> props = new HashMap<>(live.clientConfig());
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, live.topics().maxMessageBytes());
    props.put(ProducerConfig.LINGER_MS_CONFIG, 10);
    return new KafkaProducer<>(props, new StringSerializer(), topic.valueSerde().serializer());
  }

  private void report(Result r, EmbeddedRuntime runtime) {
    out.println();
    out.println("raw encoder throughput, items/s (decode or tokenise included, no Kafka):");
    out.printf("  %-8s %10s %10s %10s%n", "", "batch 1", "batch 8", "batch 32");
    r.raw().forEach((modality, perBatch) -> out.printf("  %-8s %10.1f %10.1f %10.1f%n", modality, perBatch.get(1),
        perBatch.get(8), perBatch.get(32)));
    out.printf("encode-stream end to end through the embedded broker (batch %d, exactly-once), items/s:%n",
        r.streamBatch());
    r.stream().forEach((modality, rate) -> out.printf("  %-8s %10.1f   ratio to raw at batch %d: %.2f%n", modality,
        rate, r.streamBatch(), r.ratio(modality)));
    out.printf("peak RSS: bench JVM %s (encoders, streams, clients); broker %s; registry %s%n",
        Rss.format(peakRss()), Rss.format(runtime.broker().process().rssBytes()),
        Rss.format(runtime.registry().process().rssBytes()));
    double lower = r.stream().keySet().stream().mapToDouble(r::ratio).min().orElse(0);
    out.printf("stream/raw throughput ratio: %.2f%n", lower);
  }

  private static java.util.OptionalLong peakRss() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return java.util.OptionalLong.of(Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024);
        }
      }
    } catch (IOException | RuntimeException e) {
      return java.util.OptionalLong.empty();
    }
    return java.util.OptionalLong.empty();
  }

  private static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

}
