package io.xmodal.tools.stack;

import io.xmodal.embedded.EmbeddedRuntime;
import io.xmodal.encode.EncodeConfig;
import io.xmodal.encode.EncodeService;
import io.xmodal.encoders.EncoderSettings;
import io.xmodal.encoders.Encoders;
import io.xmodal.ingest.IngestService;
import io.xmodal.platform.config.ConfigException;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.health.Dependencies;
import io.xmodal.platform.service.ServiceAssembly;
import io.xmodal.platform.service.ServiceDefinition;
import io.xmodal.platform.service.SharedResources;
import io.xmodal.platform.streams.ServiceRunner;
import io.xmodal.platform.streams.StreamsService;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.query.QueryService;
import io.xmodal.trainer.TrainerService;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Everything {@code ./xmodal up} runs in one JVM: the embedded broker and registry when no cluster is configured,
 * the topics, and the services. Closes in reverse order.
 */
public final class Stack implements AutoCloseable {

  private final Backing backing;
  private final PlatformConfig config;
  private final TopicCatalogue topics;
  private final List<StreamsService> services = new ArrayList<>();
  private final List<String> createdTopics;
  private final List<ServiceAssembly> assemblies = new ArrayList<>();
  private final SharedResources shared = new SharedResources();
  private final EncoderSettings encoderSettings;

  private Stack(Backing backing, TopicCatalogue topics, List<String> created, EncoderSettings encoderSettings) {
    this.encoderSettings = encoderSettings;
    this.backing = backing;
    this.config = backing.config();
    this.topics = topics;
    this.createdTopics = created;
  }

  /** The services {@code up} can run in its JVM, each by its one definition, in start order. */
  public enum Service {
    INGEST(new IngestService()), ENCODE(new EncodeService()), TRAINER(new TrainerService()),
    QUERY(new QueryService());

    private final ServiceDefinition<?> definition;

    Service(ServiceDefinition<?> definition) {
      this.definition = definition;
    }

    public ServiceDefinition<?> definition() {
      return definition;
    }
  }

  public static Stack start(ConfigSource source) throws InterruptedException {
    return start(source, EnumSet.allOf(Service.class));
  }

  public static Stack start(ConfigSource source, Set<Service> which) throws InterruptedException {
    return start(source, which, waiting -> { });
  }

  /**
   * Starts the embedded runtime unless a cluster is configured, then (through the same {@link ServiceRunner#prepare}
   * a service started on its own uses) waits for the broker and the registry, creates the topics and warms the
   * serdes, then starts the services. {@code waiting} is told what it waits for, and "" once it is there.
   */
  public static Stack start(ConfigSource source, Set<Service> which, Consumer<String> waiting)
      throws InterruptedException {
    return start(source, which, waiting, 1);
  }

  /** As above, on an embedded cluster of {@code brokers} nodes (see {@link #forBrokers}). */
  public static Stack start(ConfigSource source, Set<Service> which, Consumer<String> waiting, int brokers)
      throws InterruptedException {
    source = forBrokers(source, brokers);
    Backing backing = Backing.start(source, brokers);
    PlatformConfig config = backing.config();
    Path logs = config.workDir().resolve("logs");
    Dependencies.Wait wait = Dependencies.Wait.forever().reportingTo(waiting)
        .withAdvice(backing.runtime().isPresent() ? d -> "the embedded " + d.label() + " has stopped; see " + logs.resolve(
            d.embeddedLog()) : Dependencies.Advice.EXTERNAL);
    Stack stack = null;
    try {
      ServiceRunner.Prepared prepared = ServiceRunner.prepare(config, true, wait);
      TopicCatalogue topics = prepared.topics();
      List<String> created = prepared.createdTopics();
      stack = new Stack(backing, topics, created, EncodeConfig.from(source, config).encoders());
      for (Service s : Service.values()) {
        if (which.contains(s)) {
          stack.start(s.definition(), source);
        }
      }
      return stack;
    } catch (RuntimeException | InterruptedException e) {
      if (stack != null) {
        stack.close();
      } else {
        backing.close();
      }
      throw e;
    }
  }

  /**
   * The settings for an embedded cluster of {@code brokers} nodes: unless {@code XMODAL_REPLICATION_FACTOR} is set,
   * topics (and so the Streams changelogs and repartition topics) get as many replicas as the cluster's internal
   * topics, min(brokers, 3); one node leaves the settings as they are. Refuses a cluster of several nodes when
   * {@code KAFKA_BOOTSTRAP_SERVERS} names an external one.
   */
  public static ConfigSource forBrokers(ConfigSource source, int brokers) {
    if (brokers == 1) {
      return source;
    }
    if (source.get("KAFKA_BOOTSTRAP_SERVERS").isPresent()) {
      throw new ConfigException("--brokers " + brokers + " starts an embedded cluster, but "
          + "KAFKA_BOOTSTRAP_SERVERS names one already: unset it, or leave out --brokers");
    }
    if (source.get("XMODAL_REPLICATION_FACTOR").isPresent()) {
      return source;
    }
    return source.with(Map.of("XMODAL_REPLICATION_FACTOR", Integer.toString(Math.min(brokers, 3))));
  }

  /** Assembles a service from its one definition, starts it and waits until it runs. */
  private void start(ServiceDefinition<?> definition, ConfigSource source) throws InterruptedException {
    ServiceAssembly assembly = definition.assemble(source, config, topics, shared);
    assemblies.add(assembly);
    StreamsService service = StreamsService.start(assembly.name(), assembly.topology(), assembly.properties());
    services.add(service);
    service.awaitRunning(Duration.ofMinutes(2));
  }

  /** The encoders the services of this JVM share, if one of them loaded them. */
  public Optional<Encoders> encoders() {
    return shared.peek(encoderSettings);
  }

  public PlatformConfig config() {
    return config;
  }

  public TopicCatalogue topics() {
    return topics;
  }

  public Optional<EmbeddedRuntime> runtime() {
    return backing.runtime();
  }

  public List<StreamsService> services() {
    return List.copyOf(services);
  }

  public List<String> createdTopics() {
    return createdTopics;
  }

  private final AtomicBoolean closed = new AtomicBoolean();

  /** Services in reverse order, then what they held (the encoders), then the embedded runtime; once. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    List<StreamsService> reversed = new ArrayList<>(services);
    Collections.reverse(reversed);
    StreamsService.closeThenRelease(reversed, Duration.ofSeconds(30), () -> {
      for (int i = assemblies.size() - 1; i >= 0; i--) {
        assemblies.get(i).close();
      }
    });
    backing.close();
  }
}
