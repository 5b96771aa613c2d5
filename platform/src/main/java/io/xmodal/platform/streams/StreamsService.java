package io.xmodal.platform.streams;

import io.xmodal.platform.health.Dependency;
import io.xmodal.platform.health.DependencyFailures;
import io.xmodal.platform.health.DependencyUnavailableException;
import io.xmodal.platform.logging.LogLimiter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.errors.MissingSourceTopicException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * One running topology: started, waited for with a state listener, closed.
 *
 * <p>A stream thread that dies of an exception no handler took is replaced, after a back-off ({@link RestartBackoff}:
 * 1 s doubling to 30 s) so that a dependency that stays down costs a restart every 30 s rather than a busy loop.
 * When the cause is an outage (the broker or the schema registry does not answer) the wait ends as soon as the
 * dependency answers again, and the log says which endpoint and which setting; when a source topic is missing, the
 * log names it and what creates it. The replacement reads on from the last committed offsets: nothing is skipped.
 */
public final class StreamsService implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(StreamsService.class);
  private static final Duration PROBE_EVERY = Duration.ofSeconds(1);
  /** How often the broker and the registry are checked while the service runs, and how often a dead one is logged. */
  private static final Duration WATCH_EVERY = Duration.ofSeconds(5);
  private static final Duration REPORT_EVERY = Duration.ofMinutes(1);

  /** What {@code ./xmodal up} shows of a service: its streams state and what it waits for ("" when nothing). */
  public record Status(String service, KafkaStreams.State state, String waitingFor) {
    @Override
    public String toString() {
      return service + ": " + state + (waitingFor.isEmpty() ? "" : ", waiting for " + waitingFor);
    }
  }

  private final String name;
  private final KafkaStreams streams;
  private final Set<String> sourceTopics;
  private final DependencyProbe probe;
  private final CountDownLatch running = new CountDownLatch(1);
  private final CountDownLatch closing = new CountDownLatch(1);
  private final AtomicReference<KafkaStreams.State> failedIn = new AtomicReference<>();
  private final AtomicInteger threadDeaths = new AtomicInteger();
  private final AtomicReference<Waiting> waiting = new AtomicReference<>(Waiting.NOTHING);
  private final RestartBackoff backoff = RestartBackoff.standard();
  private final LogLimiter limiter = LogLimiter.standard();
  private final List<Consumer<Status>> listeners = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService watch;
  private final Map<Dependency, Long> downSince = new EnumMap<>(Dependency.class);
  private final Map<Dependency, Long> reportedAt = new EnumMap<>(Dependency.class);
  /** While it exists, this service's global stores may be open (see {@link GlobalStoresLeftOpen}); null: none. */
  private final Path globalOpenMarker;

  /** What the service waits for: a dependency (cleared once it answers) or something else; NOTHING when none. */
  private record Waiting(Dependency on, String what) {
    static final Waiting NOTHING = new Waiting(null, "");
  }

  private StreamsService(String name, Topology topology, Properties properties) {
    this.name = name;
    this.sourceTopics = sourceTopics(topology);
    this.probe = new DependencyProbe(properties, sourceTopics);
    this.globalOpenMarker = topology.describe().globalStores().isEmpty() ? null
        : GlobalStoresLeftOpen.markStarted(properties, name);
    this.streams = new KafkaStreams(topology, properties);
    streams.setStateListener((now, before) -> {
      LOG.info("{}: {} -> {}", name, before, now);
      if (now == KafkaStreams.State.RUNNING) {
        running.countDown();
      } else if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
        failedIn.set(now);
        running.countDown();
      }
      notifyListeners(now);
    });
    streams.setUncaughtExceptionHandler(this::onStreamThreadDeath);
    this.watch = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, name + "-dependency-watch");
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts the topology; returns at once. */
  public static StreamsService start(String name, Topology topology, Properties properties) {
    StreamsService service = new StreamsService(name, topology, properties);
    LOG.info("{}: starting", name);
    LOG.debug("{}: topology\n{}", name, topology.describe());
    service.streams.start();
    service.watch.scheduleWithFixedDelay(service::watchDependencies, WATCH_EVERY.toMillis(), WATCH_EVERY.toMillis(),
        TimeUnit.MILLISECONDS);
    return service;
  }

  /** Blocks until RUNNING; throws if it fails first or does not get there in time. */
  public void awaitRunning(Duration timeout) throws InterruptedException {
    if (!running.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      String waiting = waiting().what();
      throw new IllegalStateException(name + " did not reach RUNNING within " + timeout.toSeconds()
          + " s (state " + streams.state() + (waiting.isEmpty() ? "; is the broker reachable?)"
          : "; waiting for " + waiting + ")"));
    }
    if (failedIn.get() != null) {
      throw new IllegalStateException(name + " stopped in state " + failedIn.get() + " before RUNNING; see the log");
    }
  }

  /** How many stream threads died of an exception that escaped every handler since start (each was replaced). */
  public int threadDeaths() {
    return threadDeaths.get();
  }

  public KafkaStreams.State state() {
    return streams.state();
  }

  /** Its state and what it waits for now. */
  public Status status() {
    return new Status(name, streams.state(), waiting().what());
  }

  /** Told every change of state or of what it waits for (on a stream thread: keep it short). */
  public void onStatusChange(Consumer<Status> listener) {
    listeners.add(listener);
  }

  public KafkaStreams streams() {
    return streams;
  }

  public String name() {
    return name;
  }

  private StreamThreadExceptionResponse onStreamThreadDeath(Throwable e) {
    threadDeaths.incrementAndGet();
    if (Thread.currentThread().getName().endsWith("GlobalStreamThread")) {
      // a global store's thread cannot be replaced (Kafka Streams 4.4 fails trying): the client stops, visibly
      LOG.error("{}: the global store thread failed; the service stops (state ERROR): restart it", name, e);
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
    Duration pause = backoff.next();
    String thread = Thread.currentThread().getName();
    Optional<DependencyFailures.Failure> outage = DependencyFailures.classify(e);
    try {
      if (outage.isPresent()) {
        Dependency dependency = outage.get().dependency();
        String what = DependencyUnavailableException.describe(dependency, probe.endpointOf(dependency),
            outage.get().reason());
        setWaiting(new Waiting(dependency, waitingText(dependency, outage.get().reason())));
        LOG.warn("{}: stream thread {} stopped: {}; nothing is skipped: a new thread reads on from the last committed "
                + "offsets as soon as it answers (checked every {} s, at most {} s from now; {} names it)", name, thread,
            what, PROBE_EVERY.toSeconds(), pause.toSeconds(), dependency.setting());
        if (awaitAnswer(dependency, pause)) {
          clearWaiting(dependency);
        }
      } else if (DeadLetterHandlers.find(e, MissingSourceTopicException.class) != null) {
        String topics = String.join(", ", probe.missingSourceTopics());
        Waiting missing = new Waiting(null, "source topics " + topics);
        setWaiting(missing);
        LOG.warn("{}: source topics {} do not exist: {}; trying again in {} s", name, topics,
            ServiceRunner.HOW_TO_CREATE_TOPICS, pause.toSeconds());
        closing.await(pause.toMillis(), TimeUnit.MILLISECONDS);
        waiting.compareAndSet(missing, Waiting.NOTHING);
      } else {
        limiter.log(LOG, Level.ERROR, "thread death " + e.getClass().getName(),
            "{}: stream thread {} failed; a new one reads on from the last committed offsets in {} s", name, thread,
            pause.toSeconds(), e);
        closing.await(pause.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException interrupted) {
      Thread.currentThread().interrupt();
    }
    return StreamThreadExceptionResponse.REPLACE_THREAD;
  }

  /**
   * Probes the dependency every second for up to {@code pause}; returns early once it answers after having been
   * down (a short outage ends as soon as it is over), and whether it answers at the end. A dependency that answers
   * the probe from the start (the failure was something else about it) gets the whole pause.
   */
  private boolean awaitAnswer(Dependency dependency, Duration pause) throws InterruptedException {
    long deadline = System.nanoTime() + pause.toNanos();
    boolean wasDown = false;
    boolean answers = false;
    while (true) {
      answers = probe.probe(dependency).isEmpty();
      if (answers && wasDown) {
        LOG.warn("{}: the {} at {} answers again; restarting the stream thread", name, dependency.label(),
            probe.endpointOf(dependency));
        return true;
      }
      wasDown |= !answers;
      long left = deadline - System.nanoTime();
      if (left <= 0 || closing.await(Math.min(left, PROBE_EVERY.toNanos()), TimeUnit.NANOSECONDS)) {
        return answers;
      }
    }
  }

  private Waiting waiting() {
    return waiting.get();
  }

  private void setWaiting(Waiting now) {
    Waiting before = waiting.getAndSet(now);
    if (!before.what().equals(now.what())) {
      notifyListeners(streams.state());
    }
  }

  /** Clears what it waits for if that is {@code dependency}. */
  private void clearWaiting(Dependency dependency) {
    Waiting now = waiting.get();
    if (now.on() == dependency && waiting.compareAndSet(now, Waiting.NOTHING)) {
      notifyListeners(streams.state());
    }
  }

  /**
   * Every few seconds: does the broker answer, does the registry? The stream threads wait and retry on their own
   * (the clients reconnect; a record that needs a schema lookup waits for it), so this is what tells an operator,
   * once when it happens, once a minute while it lasts, once when it is over.
   */
  private void watchDependencies() {
    try {
      for (Dependency dependency : Dependency.values()) {
        if (dependency == Dependency.REGISTRY && !probe.hasRegistry()) {
          continue;
        }
        Optional<String> failure = probe.probe(dependency);
        if (failure.isPresent() && !downSince.containsKey(dependency)
            && !closing.await(PROBE_EVERY.toMillis(), TimeUnit.MILLISECONDS)) {
          // one slow answer on a busy machine is not an outage: a first failure counts once a second probe agrees
          failure = probe.probe(dependency);
        }
        long now = System.nanoTime();
        if (failure.isPresent()) {
          Long since = downSince.putIfAbsent(dependency, now);
          if (since == null || now - reportedAt.getOrDefault(dependency, now) >= REPORT_EVERY.toNanos()) {
            reportedAt.put(dependency, now);
            String what = DependencyUnavailableException.describe(dependency, probe.endpointOf(dependency), failure.get());
            LOG.warn("{}: {}{}; {} ({} names it)", name, what, since == null ? ""
                    : " for " + TimeUnit.NANOSECONDS.toSeconds(now - since) + " s now", consequence(dependency),
                dependency.setting());
            if (waiting().on() == null || waiting().on() == dependency) {
              setWaiting(new Waiting(dependency, waitingText(dependency, failure.get())));
            }
          }
        } else {
          Long since = downSince.remove(dependency);
          reportedAt.remove(dependency);
          if (since != null) {
            LOG.warn("{}: the {} at {} answers again after {} s", name, dependency.label(), probe.endpointOf(dependency),
                TimeUnit.NANOSECONDS.toSeconds(now - since));
          }
          clearWaiting(dependency);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.debug("{}: dependency check failed: {}", name, e.toString());
    }
  }

  /** "the schema registry at http://… (connection refused)". */
  private String waitingText(Dependency dependency, String reason) {
    return "the " + dependency.label() + " at " + probe.endpointOf(dependency) + " (" + reason + ")";
  }

  private static String consequence(Dependency dependency) {
    return dependency == Dependency.BROKER
        ? "the stream threads wait and reconnect on their own; nothing is skipped"
        : "records whose schema is cached flow on, one that needs a lookup waits for it; nothing is skipped";
  }

  private void notifyListeners(KafkaStreams.State state) {
    Status status = new Status(name, state, waiting().what());
    for (Consumer<Status> listener : listeners) {
      try {
        listener.accept(status);
      } catch (RuntimeException e) {
        LOG.warn("{}: a status listener failed: {}", name, e.toString());
      }
    }
  }

  /** The topics the topology reads that it does not create itself (repartition topics are its own). */
  static Set<String> sourceTopics(Topology topology) {
    Set<String> topics = new TreeSet<>();
    for (TopologyDescription.Subtopology sub : topology.describe().subtopologies()) {
      for (TopologyDescription.Node node : sub.nodes()) {
        if (node instanceof TopologyDescription.Source source && source.topicSet() != null) {
          source.topicSet().stream().filter(t -> !t.endsWith("-repartition")).forEach(topics::add);
        }
      }
    }
    for (TopologyDescription.GlobalStore store : topology.describe().globalStores()) {
      topics.addAll(store.source().topicSet());
    }
    return Set.copyOf(topics);
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }

  /**
   * Closes {@code services} in that order, then runs {@code release} (closing the models they hold) only if every
   * stream thread stopped: a thread still running may be inside a model, and closing its native session under it
   * crashes the JVM, so otherwise the models are left to the process's exit.
   *
   * @return whether every stream thread stopped
   */
  public static boolean closeThenRelease(List<StreamsService> services, Duration timeout, Runnable release) {
    boolean stopped = true;
    for (StreamsService s : services) {
      stopped &= s.close(timeout);
    }
    if (stopped) {
      release.run();
    } else {
      LOG.warn("stream threads did not stop: the models they hold are left to the process's exit");
    }
    return stopped;
  }

  /**
   * Closes and leaves the consumer group, so a restart (or the instances that stay) rebalance at once instead of
   * waiting out the session timeout of a member that is gone. A thread waiting to be replaced stops waiting.
   *
   * @return whether every stream thread stopped within {@code timeout}
   */
  public boolean close(Duration timeout) {
    LOG.info("{}: closing", name);
    closing.countDown();
    watch.shutdownNow();
    waiting.set(Waiting.NOTHING);
    boolean closed = streams.close(CloseOptions.groupMembershipOperation(
        CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(timeout));
    if (closed && globalOpenMarker != null) {
      GlobalStoresLeftOpen.markClosed(globalOpenMarker);
    }
    probe.close();
    if (!closed) {
      LOG.warn("{}: its stream threads did not stop within {} s", name, timeout.toSeconds());
    }
    return closed;
  }
}
