package io.xmodal.platform.streams;

import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.health.Dependencies;
import io.xmodal.platform.health.DependencyFailures;
import io.xmodal.platform.process.GracefulStop;
import io.xmodal.platform.serde.RegistryAvroSerdes;
import io.xmodal.platform.topics.SerdeWarmup;
import io.xmodal.platform.topics.SubjectRules;
import io.xmodal.platform.topics.TopicAdmin;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.platform.topics.TopicSpec;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a service does before and around its topology, the same for a deployable's {@code main} and for
 * {@code ./xmodal up}: wait for the broker and the registry, make sure the topics exist, warm the serdes; then run
 * until the JVM is stopped.
 */
public final class ServiceRunner {

  private static final Logger LOG = LoggerFactory.getLogger(ServiceRunner.class);
  /** What creates the topics when a service does not ({@code XMODAL_CREATE_TOPICS=false}). */
  public static final String HOW_TO_CREATE_TOPICS =
      "'./xmodal topics create' creates them (a deployment's topic-init step), and so do './xmodal up' and a "
          + "service started with XMODAL_CREATE_TOPICS=true, the default";

  private ServiceRunner() {}

  /** The catalogue, ready to use, and the topics created now. */
  public record Prepared(TopicCatalogue topics, List<String> createdTopics) {}

  /**
   * The topic catalogue of a service started on its own: waits (without a limit, logging what for) until the broker
   * and the registry answer, creates the topics unless {@code XMODAL_CREATE_TOPICS=false} (then waits for them), and
   * warms the serdes.
   */
  public static TopicCatalogue topics(ConfigSource source, PlatformConfig platform) throws InterruptedException {
    return prepare(platform, source.bool("XMODAL_CREATE_TOPICS", true), Dependencies.Wait.forever()).topics();
  }

  /**
   * Waits until the broker and the registry answer, creates the missing topics (or, if {@code createTopics} is false,
   * waits until they exist), then serialises one record of every topic's type with the catalogue's serdes so their
   * schema ids are cached before any outage: a Rejection or a MetricEvent can be written while the registry is down;
   * and sets the compatibility rule of the subjects producers write ({@link SubjectRules}).
   */
  public static Prepared prepare(PlatformConfig platform, boolean createTopics, Dependencies.Wait wait)
      throws InterruptedException {
    Dependencies.awaitBroker(platform.clientConfig(), wait);
    String registry = platform.requireRegistryUrl();
    Dependencies.awaitRegistry(registry, wait);
    TopicCatalogue topics = TopicCatalogue.create(platform.topics(), RegistryAvroSerdes.of(platform));
    List<String> created;
    if (createTopics) {
      created = TopicAdmin.ensureTopics(platform.clientConfig(), topics, Duration.ofSeconds(60));
    } else {
      Dependencies.awaitTopics(platform.clientConfig(), topics.all().stream().map(TopicSpec::name).toList(),
          HOW_TO_CREATE_TOPICS, wait);
      created = List.of();
    }
    while (true) {
      try {
        SerdeWarmup.warm(topics);
        SubjectRules.apply(platform, topics);
        return new Prepared(topics, created);
      } catch (RuntimeException e) {
        if (!DependencyFailures.isRegistryOutage(e)) {
          throw e;
        }
        Dependencies.awaitRegistry(registry, wait);
      }
    }
  }

  /**
   * Starts the topology and blocks until SIGTERM/Ctrl-C, when it closes cleanly. It logs when it is RUNNING; while it
   * is not (a dependency is down, a topic is missing) it keeps waiting and says so every {@code reportEvery}. Every
   * change of its state or of what it waits for is written to {@code status} (a container's health check reads it);
   * {@code onRunning} is called once, the first time it is RUNNING. {@code resources} (the models the topology uses)
   * are closed once its stream threads have stopped, as part of the stop, before the JVM's shutdown hooks run
   * ({@link io.xmodal.platform.process.GracefulStop}); if they do not stop in time, they are left to the process's exit.
   */
  public static void runUntilShutdown(String name, Topology topology, Properties properties, Duration reportEvery,
                                      StatusFile status, Runnable onRunning, AutoCloseable resources)
      throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicBoolean stopping = new AtomicBoolean();
    AtomicBoolean released = new AtomicBoolean();
    Runnable release = () -> {
      if (released.compareAndSet(false, true)) {
        try {
          resources.close();
        } catch (Exception e) {
          LOG.warn("{}: closing its resources failed: {}", name, e.toString());
        }
      }
    };
    StreamsService service;
    try {
      service = StreamsService.start(name, topology, properties);
    } catch (RuntimeException e) {
      release.run();
      throw e;
    }
    // each write reads the service's current status, so a late write of an older change cannot win
    service.onStatusChange(changed -> status.write(service.status()));
    status.write(service.status());
    GracefulStop.install(name + "-shutdown", () -> {
      stopping.set(true);
      StreamsService.closeThenRelease(List.of(service), Duration.ofSeconds(30), release);
      stopped.countDown();
    });
    while (!stopping.get()) {
      try {
        service.awaitRunning(reportEvery);
        LOG.info("{} is running (application.id {}); stop it with Ctrl-C or SIGTERM", name,
            properties.getProperty("application.id"));
        onRunning.run();
        break;
      } catch (IllegalStateException notYet) {
        KafkaStreams.State state = service.state();
        if (stopping.get()) {
          break;
        }
        if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.NOT_RUNNING) {
          release.run(); // its stream threads are gone
          throw notYet;
        }
        LOG.warn("{}", notYet.getMessage());
      }
    }
    stopped.await();
  }
}
