package io.xmodal.embedded;

import io.xmodal.platform.config.Credentials;
import io.xmodal.platform.config.EmbeddedSettings;
import io.xmodal.platform.config.TopicSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Collectors;

/**
 * One KRaft node (broker and controller in one process) in a child JVM on this process's classpath; data under
 * {@code dir/data}. Alone it is the embedded single-node broker; {@link EmbeddedCluster} runs several as one cluster.
 *
 * <p>With SASL credentials ({@link EmbeddedSettings#sasl()}) its client listener is SASL_PLAINTEXT: clients
 * authenticate with SCRAM-SHA-256 as that one user, whose credential {@link BrokerMain} stores in the cluster's
 * metadata on every start. The broker's own connections (inter-broker, and to its controller, which KRaft does not
 * let use SCRAM) authenticate with SASL/PLAIN as an internal user whose password is drawn at random on every start
 * of the cluster. Secrets go only into files readable by their owner alone, never onto a command line.
 */
public final class EmbeddedBroker implements AutoCloseable {

  /** The mechanism clients use on the SASL listener. */
  public static final String SASL_MECHANISM = "SCRAM-SHA-256";
  static final String INTERNAL_USER = "xmodalbroker";
  /** The system property that hands {@link BrokerMain} the cluster id to format with (all nodes share one). */
  static final String CLUSTER_ID_PROPERTY = "xmodal.kafka.cluster.id";

  /** Where one node listens and keeps its data ({@code dir/data}, {@code dir/server.properties}). */
  public record Node(int id, int brokerPort, int controllerPort, Path dir, Path logFile) {}

  /**
   * What every node of one cluster shares: the settings, all nodes (the voters), the largest record, the internal
   * user of the SASL listeners, and the cluster id to format with (empty: a random one, for a single node).
   */
  record Cluster(EmbeddedSettings settings, List<Node> nodes, int maxMessageBytes, Credentials internal,
                 Optional<String> clusterId) {
    Cluster {
      nodes = List.copyOf(nodes);
    }

    /** Replicas of the internal topics and the default for new topics: every node, at most 3. */
    int replication() {
      return Math.min(nodes.size(), 3);
    }
  }

  private final Node node;
  private final ChildProcess process;
  private final String bootstrap;

  private EmbeddedBroker(Node node, ChildProcess process, String bootstrap) {
    this.node = node;
    this.process = process;
    this.bootstrap = bootstrap;
  }

  /** Starts a single-node broker (formats storage on first use); call {@link #awaitReady} before using it. */
  public static EmbeddedBroker start(EmbeddedSettings settings, Path dir, int maxMessageBytes, Path logFile) {
    Node node = new Node(1, settings.brokerPort(), settings.controllerPort(), dir, logFile);
    return start(new Cluster(settings, List.of(node), maxMessageBytes, internalUser(), Optional.empty()), node);
  }

  /** Starts one node of {@code cluster} (formats its storage on first use); call {@link #awaitReady}. */
  static EmbeddedBroker start(Cluster cluster, Node node) {
    EmbeddedSettings settings = cluster.settings();
    Path dir = node.dir();
    Path config = dir.resolve("server.properties");
    List<String> args = new ArrayList<>(List.of(config.toString()));
    writePrivate(config, serverProperties(cluster, node), "written by xmodal on every start; edit XMODAL_* settings instead");
    if (settings.sasl().isPresent()) {
      Path users = dir.resolve("sasl-users.properties");
      writePrivate(users, BrokerMain.saslUsers(settings.sasl().get(), cluster.internal()),
          "read and deleted by the broker on start");
      args.add(users.toString());
    }
    List<String> jvm = new ArrayList<>(settings.broker().jvmOptions());
    jvm.addAll(List.of("-Xms128m", "-XX:+UseG1GC", "-Djava.awt.headless=true",
        "-Dlogback.configurationFile=xmodal-child-logback.xml"));
    cluster.clusterId().ifPresent(id -> jvm.add("-D" + CLUSTER_ID_PROPERTY + "=" + id));
    String name = cluster.nodes().size() == 1 ? "kafka-broker" : "kafka-broker-" + node.id();
    ChildProcess child = ChildProcess.start(name, jvm, System.getProperty("java.class.path"),
        BrokerMain.class.getName(), args, settings.broker().environment(), dir, node.logFile(),
        line -> line.startsWith(BrokerMain.READY));
    return new EmbeddedBroker(node, child, settings.bindHost() + ":" + node.brokerPort());
  }

  /**
   * The node's {@code server.properties}: every node a voter; internal topics on {@link Cluster#replication()}
   * replicas with the {@code min.insync.replicas} that goes with it, which is also the default of every topic.
   */
  static Properties serverProperties(Cluster cluster, Node node) {
    EmbeddedSettings settings = cluster.settings();
    String host = settings.bindHost();
    String replicas = Integer.toString(cluster.replication());
    String minIsr = Integer.toString(TopicSettings.minInsyncReplicas(cluster.replication()));
    Properties p = new Properties();
    p.setProperty("process.roles", "broker,controller");
    p.setProperty("node.id", Integer.toString(node.id()));
    p.setProperty("controller.quorum.voters", cluster.nodes().stream()
        .map(n -> n.id() + "@" + host + ":" + n.controllerPort()).collect(Collectors.joining(",")));
    String listener = settings.sasl().isPresent() ? "SASL_PLAINTEXT" : "PLAINTEXT";
    p.setProperty("listeners", listener + "://" + host + ":" + node.brokerPort() + ",CONTROLLER://" + host + ":"
        + node.controllerPort());
    p.setProperty("advertised.listeners", listener + "://" + host + ":" + node.brokerPort());
    p.setProperty("controller.listener.names", "CONTROLLER");
    p.setProperty("inter.broker.listener.name", listener);
    p.setProperty("listener.security.protocol.map", listener + ":" + listener + ",CONTROLLER:" + listener);
    settings.sasl().ifPresent(user -> saslListeners(p, cluster.internal()));
    p.setProperty("log.dirs", node.dir().resolve("data").toAbsolutePath().toString());
    p.setProperty("auto.create.topics.enable", "false");
    p.setProperty("default.replication.factor", replicas);
    p.setProperty("min.insync.replicas", minIsr);
    p.setProperty("offsets.topic.replication.factor", replicas);
    p.setProperty("offsets.topic.num.partitions", "5");
    p.setProperty("transaction.state.log.replication.factor", replicas);
    p.setProperty("transaction.state.log.min.isr", minIsr);
    p.setProperty("transaction.state.log.num.partitions", "5");
    p.setProperty("share.coordinator.state.topic.replication.factor", replicas);
    p.setProperty("share.coordinator.state.topic.min.isr", minIsr);
    p.setProperty("group.initial.rebalance.delay.ms", "0");
    p.setProperty("message.max.bytes", Integer.toString(cluster.maxMessageBytes() + 65536));
    p.setProperty("replica.fetch.max.bytes", Integer.toString(cluster.maxMessageBytes() + 65536));
    p.setProperty("log.segment.bytes", Integer.toString(256 * 1024 * 1024));
    p.setProperty("num.network.threads", "2");
    p.setProperty("num.io.threads", "4");
    return p;
  }

  /** The internal PLAIN user of the broker's own connections, with a fresh random password. */
  static Credentials internalUser() {
    return new Credentials(INTERNAL_USER, randomSecret());
  }

  /**
   * SCRAM-SHA-256 for clients and PLAIN for the broker's own connections on the client listener (PLAIN knows only
   * the internal user), PLAIN alone on the controller listener.
   */
  private static void saslListeners(Properties p, Credentials internal) {
    String password = BrokerMain.jaasQuoted(internal.password());
    String plain = "org.apache.kafka.common.security.plain.PlainLoginModule required username="
        + BrokerMain.jaasQuoted(internal.user()) + " password=" + password + " user_" + internal.user() + "=" + password
        + ";";
    p.setProperty("sasl.enabled.mechanisms", SASL_MECHANISM);
    p.setProperty("listener.name.sasl_plaintext.sasl.enabled.mechanisms", SASL_MECHANISM + ",PLAIN");
    p.setProperty("listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required;");
    p.setProperty("listener.name.sasl_plaintext.plain.sasl.jaas.config", plain);
    p.setProperty("sasl.mechanism.inter.broker.protocol", "PLAIN");
    p.setProperty("listener.name.controller.sasl.enabled.mechanisms", "PLAIN");
    p.setProperty("listener.name.controller.plain.sasl.jaas.config", plain);
    p.setProperty("sasl.mechanism.controller.protocol", "PLAIN");
  }

  private static String randomSecret() {
    byte[] bytes = new byte[24];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** Writes a properties file only its owner can read (where the file system has POSIX permissions). */
  private static void writePrivate(Path file, Properties p, String comment) {
    try {
      Files.createDirectories(file.getParent());
      Files.deleteIfExists(file);
      try {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (UnsupportedOperationException e) {
        Files.createFile(file);
      } catch (FileAlreadyExistsException e) {
        throw new IOException("someone else created " + file + " while it was being written", e);
      }
      try (Writer w = Files.newBufferedWriter(file)) {
        p.store(w, comment);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  public void awaitReady(Duration timeout) throws InterruptedException {
    process.awaitReady(timeout);
  }

  public String bootstrapServers() {
    return bootstrap;
  }

  /** The current process of this node (a restarted node is a new {@code EmbeddedBroker}). */
  public ChildProcess process() {
    return process;
  }

  public Node node() {
    return node;
  }

  @Override
  public void close() {
    process.stop(Duration.ofSeconds(45));
  }
}
