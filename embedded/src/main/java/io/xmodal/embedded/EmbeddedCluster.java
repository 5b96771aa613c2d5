package io.xmodal.embedded;

import io.xmodal.embedded.EmbeddedBroker.Node;
import io.xmodal.platform.config.ConfigException;
import io.xmodal.platform.config.EmbeddedSettings;
import io.xmodal.platform.process.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.common.Uuid;

/**
 * A KRaft cluster of N {@link EmbeddedBroker} nodes, each a child JVM that is broker and controller at once, all of
 * them voters. One node is the embedded default (data in {@code <dir>}, log {@code broker.log}, exactly the single
 * broker of before); with more, node {@code i} (from 1) keeps its data in {@code <dir>-cluster-N/node-i}, logs to
 * {@code broker-i.log}, and listens on {@code XMODAL_BROKER_PORT + 2(i-1)} and {@code XMODAL_CONTROLLER_PORT + 2(i-1)}.
 * Internal topics have min(N, 3) replicas; with 3 or more, {@code min.insync.replicas=2}.
 *
 * <p>A node can be killed ({@link #kill}, SIGKILL) and {@link #restart}ed on the same data and ports; the others keep
 * serving meanwhile (with 3 nodes, one may be down).
 */
public final class EmbeddedCluster implements AutoCloseable {

  private final EmbeddedBroker.Cluster cluster;
  private final EmbeddedBroker[] running;

  private EmbeddedCluster(EmbeddedBroker.Cluster cluster, EmbeddedBroker[] running) {
    this.cluster = cluster;
    this.running = running;
  }

  /**
   * The nodes of an N-node cluster from the settings' ports, under {@code dir} (see the class comment), logs in
   * {@code logs}.
   */
  public static List<Node> layout(EmbeddedSettings settings, int size, Path dir, Path logs) {
    if (size < 1) {
      throw new ConfigException("a cluster needs at least one broker, got " + size);
    }
    if (size == 1) {
      return List.of(new Node(1, settings.brokerPort(), settings.controllerPort(), dir, logs.resolve("broker.log")));
    }
    Path root = dir.resolveSibling(dir.getFileName() + "-cluster-" + size);
    List<Node> nodes = new ArrayList<>();
    for (int i = 1; i <= size; i++) {
      int offset = 2 * (i - 1);
      nodes.add(new Node(i, settings.brokerPort() + offset, settings.controllerPort() + offset,
          root.resolve("node-" + i), logs.resolve("broker-" + i + ".log")));
    }
    return nodes;
  }

  /** Starts every node at once (each waits for the quorum); call {@link #awaitReady}. Stops them if one fails. */
  public static EmbeddedCluster start(EmbeddedSettings settings, List<Node> nodes, int maxMessageBytes) {
    requireDistinctPorts(nodes);
    Optional<String> clusterId = nodes.size() == 1 ? Optional.empty() : Optional.of(clusterId(nodes));
    EmbeddedBroker.Cluster cluster = new EmbeddedBroker.Cluster(settings, nodes, maxMessageBytes,
        EmbeddedBroker.internalUser(), clusterId);
    EmbeddedBroker[] running = new EmbeddedBroker[nodes.size()];
    EmbeddedCluster started = new EmbeddedCluster(cluster, running);
    try {
      for (int i = 0; i < nodes.size(); i++) {
        running[i] = EmbeddedBroker.start(cluster, nodes.get(i));
      }
    } catch (RuntimeException e) {
      started.close();
      throw e;
    }
    return started;
  }

  /** Each node's ports, checked before anything starts, with errors that name the setting. */
  public static void requirePortsFree(EmbeddedSettings settings, List<Node> nodes) {
    String suffix = nodes.size() == 1 ? "" : " (node i uses it + 2(i-1))";
    for (Node n : nodes) {
      String which = nodes.size() == 1 ? "" : " of node " + n.id();
      Ports.requireFree(settings.bindHost(), n.brokerPort(), "Kafka broker" + which,
          EmbeddedSettings.BROKER_PORT + suffix);
      Ports.requireFree(settings.bindHost(), n.controllerPort(), "KRaft controller" + which,
          EmbeddedSettings.CONTROLLER_PORT + suffix);
    }
  }

  private static void requireDistinctPorts(List<Node> nodes) {
    Set<Integer> seen = new HashSet<>();
    for (Node n : nodes) {
      if (!seen.add(n.brokerPort()) || !seen.add(n.controllerPort())) {
        throw new ConfigException("the broker nodes' ports overlap (" + nodes.stream()
            .map(x -> x.brokerPort() + "/" + x.controllerPort()).collect(Collectors.joining(", ")) + "): set "
            + EmbeddedSettings.BROKER_PORT + " and " + EmbeddedSettings.CONTROLLER_PORT + " at least " + 2 * nodes.size()
            + " apart");
      }
    }
  }

  /** The id all nodes format with: kept beside the nodes' folders, so a node whose data is gone rejoins the cluster. */
  private static String clusterId(List<Node> nodes) {
    Path file = nodes.get(0).dir().getParent().resolve("cluster.id");
    try {
      if (Files.exists(file)) {
        return Files.readString(file).trim();
      }
      Files.createDirectories(file.getParent());
      String id = Uuid.randomUuid().toString();
      Files.writeString(file, id + "\n");
      return id;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write " + file, e);
    }
  }

  /** Waits until every running node serves clients (for a fresh cluster: the quorum is formed). */
  public void awaitReady(Duration timeout) throws InterruptedException {
    for (EmbeddedBroker b : nodes()) {
      b.awaitReady(timeout);
    }
  }

  /** Every node's client listener, comma-separated: what clients bootstrap from. */
  public String bootstrapServers() {
    return cluster.nodes().stream().map(n -> cluster.settings().bindHost() + ":" + n.brokerPort())
        .collect(Collectors.joining(","));
  }

  public int size() {
    return cluster.nodes().size();
  }

  /** Replicas of the internal topics and the broker's default for new topics: min(N, 3). */
  public int replicationFactor() {
    return cluster.replication();
  }

  /** The current node processes, node 1 first. */
  public synchronized List<EmbeddedBroker> nodes() {
    return List.of(running);
  }

  /** Node {@code id} (from 1) as it runs now. */
  public synchronized EmbeddedBroker node(int id) {
    if (id < 1 || id > running.length) {
      throw new IllegalArgumentException("no node " + id + " in a cluster of " + running.length);
    }
    return running[id - 1];
  }

  /** {@code kill -9} of node {@code id}; returns its exit code. The node stays down until {@link #restart}. */
  public int kill(int id) throws InterruptedException {
    return node(id).process().kill();
  }

  /**
   * Starts node {@code id} again on its data and ports (stopping it first if it still runs) and waits until it serves
   * clients. It then catches up as a follower; {@link io.xmodal.platform.topics.TopicAdmin#awaitInSync} tells when its replicas are back in sync.
   */
  public EmbeddedBroker restart(int id, Duration timeout) throws InterruptedException {
    EmbeddedBroker old = node(id);
    old.close();
    EmbeddedBroker fresh = EmbeddedBroker.start(cluster, old.node());
    synchronized (this) {
      running[id - 1] = fresh;
    }
    fresh.awaitReady(timeout);
    return fresh;
  }

  /** Asks every node to stop at once (so the quorum goes down together), then waits for each. */
  @Override
  public void close() {
    List<EmbeddedBroker> all = nodes();
    for (EmbeddedBroker b : all) {
      if (b != null) {
        b.process().requestStop();
      }
    }
    for (EmbeddedBroker b : all) {
      if (b != null) {
        b.close();
      }
    }
  }
}
