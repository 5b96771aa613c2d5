package io.xmodal.app.cli;

import io.xmodal.encode.EncodeConfig;
import io.xmodal.encode.EncodeTopology;
import io.xmodal.encoders.Encoders;
import io.xmodal.ingest.IngestConfig;
import io.xmodal.query.QueryConfig;
import io.xmodal.query.QueryTopology;
import io.xmodal.trainer.FitExecutors;
import io.xmodal.trainer.TrainerConfig;
import io.xmodal.trainer.TrainerTopology;
import io.xmodal.ingest.IngestTopology;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.runtime.EmbeddedRuntime;
import io.xmodal.platform.health.Dependencies;
import io.xmodal.platform.streams.ServiceRunner;
import io.xmodal.platform.streams.StreamsService;
import io.xmodal.platform.streams.StreamsSettings;
import io.xmodal.platform.topics.TopicCatalogue;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Everything {@code ./xmodal up} runs in one JVM: the embedded broker and registry when no cluster is configured,
 * the topics, and the services. Closes in reverse order.
 */
final class Stack implements AutoCloseable {

  private final Optional<EmbeddedRuntime> runtime;
  private final PlatformConfig config;
  private final TopicCatalogue topics;
  private final List<StreamsService> services = new ArrayList<>();
  private final List<String> createdTopics;
  private Encoders encoders;

  private Stack(Optional<EmbeddedRuntime> runtime, PlatformConfig config, TopicCatalogue topics, List<String> created) {
    this.runtime = runtime;
    this.config = config;
    this.topics = topics;
    this.createdTopics = created;
  }

  /** The services {@code up} can run in its JVM. */
  enum Service { INGEST, ENCODE, TRAINER, QUERY }

  static Stack start(ConfigSource source) throws InterruptedException {
    return start(source, java.util.EnumSet.allOf(Service.class));
  }

  static Stack start(ConfigSource source, java.util.Set<Service> which) throws InterruptedException {
    return start(source, which, waiting -> { });
  }

  /**
   * Starts the embedded runtime unless a cluster is configured, then (through the same {@link ServiceRunner#prepare}
   * a service started on its own uses) waits for the broker and the registry, creates the topics and warms the
   * serdes, then starts the services. {@code waiting} is told what it waits for, and "" once it is there.
   */
  static Stack start(ConfigSource source, java.util.Set<Service> which, Consumer<String> waiting)
      throws InterruptedException {
    PlatformConfig config = PlatformConfig.from(source);
    Optional<EmbeddedRuntime> runtime = Optional.empty();
    if (config.bootstrapServers().isEmpty()) {
      EmbeddedRuntime r = EmbeddedRuntime.start(config, source.get("XMODAL_REGISTRY_DIST"), Duration.ofMinutes(2));
      runtime = Optional.of(r);
      config = config.withEndpoints(r.bootstrapServers(), r.registry().apiUrl());
      new Endpoints(r.bootstrapServers(), r.registry().apiUrl()).write(config);
    } else {
      config.requireRegistryUrl();
    }
    Path logs = config.workDir().resolve("logs");
    Dependencies.Wait wait = Dependencies.Wait.forever().reportingTo(waiting)
        .withAdvice(runtime.isPresent() ? d -> "the embedded " + d.label() + " has stopped; see " + logs.resolve(
            d.embeddedLog()) : Dependencies.Advice.EXTERNAL);
    Stack stack = null;
    try {
      ServiceRunner.Prepared prepared = ServiceRunner.prepare(config, true, wait);
      TopicCatalogue topics = prepared.topics();
      List<String> created = prepared.createdTopics();
      stack = new Stack(runtime, config, topics, created);
      if (which.contains(Service.INGEST)) {
        stack.startIngest(source);
      }
      if (which.contains(Service.ENCODE)) {
        stack.startEncode(source);
      }
      if (which.contains(Service.TRAINER)) {
        stack.startTrainer(source);
      }
      if (which.contains(Service.QUERY)) {
        stack.startQuery(source);
      }
      return stack;
    } catch (RuntimeException | InterruptedException e) {
      if (stack != null) {
        stack.close();
      } else {
        runtime.ifPresent(EmbeddedRuntime::close);
      }
      throw e;
    }
  }

  private void startIngest(ConfigSource source) throws InterruptedException {
    IngestConfig ingest = IngestConfig.from(source, config);
    StreamsService service = StreamsService.start("ingest", IngestTopology.buildTopology(ingest, topics),
        StreamsSettings.properties(config, ingest.applicationId(), topics, ingest.dlqPayloadCap()));
    services.add(service);
    service.awaitRunning(Duration.ofMinutes(2));
  }

  private void startEncode(ConfigSource source) throws InterruptedException {
    EncodeConfig encode = EncodeConfig.from(source, config);
    encoders = Encoders.load(encode.encoders());
    StreamsService service = StreamsService.start("encode-stream",
        EncodeTopology.buildTopology(encode, topics, encoders),
        encode.streamsProperties(config, topics));
    services.add(service);
    service.awaitRunning(Duration.ofMinutes(2));
  }

  private void startTrainer(ConfigSource source) throws InterruptedException {
    TrainerConfig trainer = TrainerConfig.from(source, config);
    StreamsService service = StreamsService.start("mapping-trainer",
        TrainerTopology.buildTopology(trainer, topics, FitExecutors::create),
        StreamsSettings.properties(config, trainer.applicationId(), topics, trainer.dlqPayloadCap()));
    services.add(service);
    service.awaitRunning(Duration.ofMinutes(2));
  }

  private void startQuery(ConfigSource source) throws InterruptedException {
    QueryConfig query = QueryConfig.from(source, config);
    if (encoders == null) {
      encoders = Encoders.load(query.encoders());
    }
    StreamsService service = StreamsService.start("query-stream", QueryTopology.buildTopology(query, topics, encoders),
        query.streamsProperties(config, topics));
    services.add(service);
    service.awaitRunning(Duration.ofMinutes(2));
  }

  Optional<Encoders> encoders() {
    return Optional.ofNullable(encoders);
  }

  PlatformConfig config() {
    return config;
  }

  TopicCatalogue topics() {
    return topics;
  }

  Optional<EmbeddedRuntime> runtime() {
    return runtime;
  }

  List<StreamsService> services() {
    return List.copyOf(services);
  }

  List<String> createdTopics() {
    return createdTopics;
  }

  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

  /** Services in reverse order, then the encoders, then the embedded runtime; a second call does nothing. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (int i = services.size() - 1; i >= 0; i--) {
      services.get(i).close(Duration.ofSeconds(30));
    }
    if (encoders != null) {
      encoders.close();
    }
    runtime.ifPresent(r -> {
      r.close();
      Endpoints.delete(config);
    });
  }
}
