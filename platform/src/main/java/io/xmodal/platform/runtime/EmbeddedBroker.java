package io.xmodal.platform.runtime;

import io.xmodal.platform.config.Credentials;
import io.xmodal.platform.config.EmbeddedSettings;
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
import java.util.Properties;

/**
 * A real single-node KRaft broker in a child JVM on this process's classpath; data under {@code dir/data}.
 *
 * <p>With SASL credentials ({@link EmbeddedSettings#sasl()}) its client listener is SASL_PLAINTEXT: clients
 * authenticate with SCRAM-SHA-256 as that one user, whose credential {@link BrokerMain} stores in the cluster's
 * metadata on every start. The broker's own connections (inter-broker, and to its controller, which KRaft does not
 * let use SCRAM) authenticate with SASL/PLAIN as an internal user whose password is drawn at random on every start.
 * Secrets go only into files readable by their owner alone, never onto a command line.
 */
public final class EmbeddedBroker implements AutoCloseable {

  /** The mechanism clients use on the SASL listener. */
  public static final String SASL_MECHANISM = "SCRAM-SHA-256";
  static final String INTERNAL_USER = "xmodalbroker";

  private final ChildProcess process;
  private final String bootstrap;

  private EmbeddedBroker(ChildProcess process, String bootstrap) {
    this.process = process;
    this.bootstrap = bootstrap;
  }

  /** Starts it (formats storage on first use); call {@link #awaitReady} before using it. */
  public static EmbeddedBroker start(EmbeddedSettings settings, Path dir, int maxMessageBytes, Path logFile) {
    String host = settings.bindHost();
    Properties p = new Properties();
    p.setProperty("process.roles", "broker,controller");
    p.setProperty("node.id", "1");
    p.setProperty("controller.quorum.voters", "1@" + host + ":" + settings.controllerPort());
    String listener = settings.sasl().isPresent() ? "SASL_PLAINTEXT" : "PLAINTEXT";
    p.setProperty("listeners", listener + "://" + host + ":" + settings.brokerPort() + ",CONTROLLER://" + host + ":"
        + settings.controllerPort());
    p.setProperty("advertised.listeners", listener + "://" + host + ":" + settings.brokerPort());
    p.setProperty("controller.listener.names", "CONTROLLER");
    p.setProperty("inter.broker.listener.name", listener);
    p.setProperty("listener.security.protocol.map", listener + ":" + listener + ",CONTROLLER:" + listener);
    Credentials internal = new Credentials(INTERNAL_USER, randomSecret());
    settings.sasl().ifPresent(user -> saslListeners(p, internal));
    p.setProperty("log.dirs", dir.resolve("data").toAbsolutePath().toString());
    p.setProperty("auto.create.topics.enable", "false");
    p.setProperty("offsets.topic.replication.factor", "1");
    p.setProperty("offsets.topic.num.partitions", "5");
    p.setProperty("transaction.state.log.replication.factor", "1");
    p.setProperty("transaction.state.log.min.isr", "1");
    p.setProperty("transaction.state.log.num.partitions", "5");
    p.setProperty("share.coordinator.state.topic.replication.factor", "1");
    p.setProperty("share.coordinator.state.topic.min.isr", "1");
    p.setProperty("group.initial.rebalance.delay.ms", "0");
    p.setProperty("message.max.bytes", Integer.toString(maxMessageBytes + 65536));
    p.setProperty("replica.fetch.max.bytes", Integer.toString(maxMessageBytes + 65536));
    p.setProperty("log.segment.bytes", Integer.toString(256 * 1024 * 1024));
    p.setProperty("num.network.threads", "2");
    p.setProperty("num.io.threads", "4");
    Path config = dir.resolve("server.properties");
    List<String> args = new ArrayList<>(List.of(config.toString()));
    writePrivate(config, p, "written by xmodal on every start; edit XMODAL_* settings instead");
    if (settings.sasl().isPresent()) {
      Path users = dir.resolve("sasl-users.properties");
      writePrivate(users, BrokerMain.saslUsers(settings.sasl().get(), internal),
          "read and deleted by the broker on start");
      args.add(users.toString());
    }
    ChildProcess child = ChildProcess.start("kafka-broker",
        List.of("-Xmx" + settings.brokerHeap(), "-Xms128m", "-XX:+UseG1GC", "-Djava.awt.headless=true",
            "-Dlogback.configurationFile=xmodal-child-logback.xml"),
        System.getProperty("java.class.path"), BrokerMain.class.getName(), args,
        dir, logFile, line -> line.startsWith(BrokerMain.READY));
    return new EmbeddedBroker(child, host + ":" + settings.brokerPort());
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

  public ChildProcess process() {
    return process;
  }

  @Override
  public void close() {
    process.stop(Duration.ofSeconds(45));
  }
}
