package io.xmodal.platform.streams;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One running topology: started, waited for with a state listener, closed. */
public final class StreamsService implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(StreamsService.class);

  private final String name;
  private final KafkaStreams streams;
  private final CountDownLatch running = new CountDownLatch(1);
  private final AtomicReference<KafkaStreams.State> failedIn = new AtomicReference<>();
  private final java.util.concurrent.atomic.AtomicInteger threadDeaths = new java.util.concurrent.atomic.AtomicInteger();

  private StreamsService(String name, Topology topology, Properties properties) {
    this.name = name;
    this.streams = new KafkaStreams(topology, properties);
    streams.setStateListener((now, before) -> {
      LOG.info("{}: {} -> {}", name, before, now);
      if (now == KafkaStreams.State.RUNNING) {
        running.countDown();
      } else if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
        failedIn.set(now);
        running.countDown();
      }
    });
    // a failure that escaped the dead-letter handlers: log where, then replace the thread rather than die
    streams.setUncaughtExceptionHandler(e -> {
      threadDeaths.incrementAndGet();
      if (Thread.currentThread().getName().endsWith("GlobalStreamThread")) {
        // a global thread cannot be replaced (Kafka Streams fails trying): the client stops, visibly
        LOG.error("{}: the global store thread failed; the service stops (state ERROR): restart it", name, e);
        return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
      }
      LOG.error("{}: stream thread {} failed; replacing it", name, Thread.currentThread().getName(), e);
      return StreamThreadExceptionResponse.REPLACE_THREAD;
    });
  }

  /** Starts the topology; returns at once. */
  public static StreamsService start(String name, Topology topology, Properties properties) {
    StreamsService service = new StreamsService(name, topology, properties);
    LOG.info("{}: starting", name);
    LOG.debug("{}: topology\n{}", name, topology.describe());
    service.streams.start();
    return service;
  }

  /** Blocks until RUNNING; throws if it fails first or does not get there in time. */
  public void awaitRunning(Duration timeout) throws InterruptedException {
    if (!running.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(name + " did not reach RUNNING within " + timeout.toSeconds()
          + " s (state " + streams.state() + "); is the broker reachable?");
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

  public KafkaStreams streams() {
    return streams;
  }

  public String name() {
    return name;
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }

  /**
   * Closes and leaves the consumer group, so a restart (or the instances that stay) rebalance at once instead of
   * waiting out the session timeout of a member that is gone.
   */
  public void close(Duration timeout) {
    LOG.info("{}: closing", name);
    streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
        .withTimeout(timeout));
  }
}
