package io.xmodal.platform.streams;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Works around KAFKA-21034 (Kafka Streams 4.4): under exactly-once, a global store that a killed process left open is
 * refused at the next start ({@code TaskCorruptedException}: "didn't find a valid state") and the global thread
 * dies, at every start again; Kafka wipes and restores a task's stores in that case, not a global store's. A marker
 * beside the state directory says a service with global stores is running; a start that finds it (the run before
 * was killed, or did not close in time) deletes the global stores first, and Kafka Streams restores them from their
 * topics, as it does a task's. A clean close removes the marker.
 */
final class GlobalStoresLeftOpen {

  private static final Logger LOG = LoggerFactory.getLogger(GlobalStoresLeftOpen.class);

  private GlobalStoresLeftOpen() {}

  /**
   * Before the service's KafkaStreams is made: deletes global stores a run that did not close left behind, and
   * marks this run as started.
   *
   * @return the marker, for {@link #markClosed}
   */
  static Path markStarted(Properties properties, String service) {
    Path stateDir = Path.of(String.valueOf(properties.getOrDefault(StreamsConfig.STATE_DIR_CONFIG,
        System.getProperty("java.io.tmpdir") + "/kafka-streams")));
    String applicationId = String.valueOf(properties.get(StreamsConfig.APPLICATION_ID_CONFIG));
    return markStarted(stateDir, applicationId, service);
  }

  static Path markStarted(Path stateDir, String applicationId, String service) {
    Path marker = stateDir.resolve(".xmodal-" + applicationId + "-global-open");
    Path global = stateDir.resolve(applicationId).resolve("global");
    try {
      Files.createDirectories(stateDir);
      if (Files.exists(marker) && Files.isDirectory(global)) {
        LOG.warn("{}: the run before did not close; its global stores ({}) are deleted and restored from their "
            + "topics (KAFKA-21034: Kafka Streams refuses a global store left open under exactly-once)", service,
            global);
        deleteTree(global);
      }
      Files.writeString(marker, "a service with global stores runs with this state directory\n");
      return marker;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the state directory " + stateDir + " (XMODAL_WORK_DIR sets "
          + "where it is): " + e.getMessage(), e);
    }
  }

  /** After a close that stopped every thread: the global stores were closed and checkpointed. */
  static void markClosed(Path marker) {
    try {
      Files.deleteIfExists(marker);
    } catch (IOException e) {
      LOG.debug("cannot delete {}: {}", marker, e.toString());
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
