package io.xmodal.platform.runtime;

import io.xmodal.platform.config.EmbeddedSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

/** A real single-node KRaft broker in a child JVM on this process's classpath; data under {@code dir/data}. */
public final class EmbeddedBroker implements AutoCloseable {

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
    p.setProperty("listeners", "PLAINTEXT://" + host + ":" + settings.brokerPort() + ",CONTROLLER://" + host + ":"
        + settings.controllerPort());
    p.setProperty("advertised.listeners", "PLAINTEXT://" + host + ":" + settings.brokerPort());
    p.setProperty("controller.listener.names", "CONTROLLER");
    p.setProperty("inter.broker.listener.name", "PLAINTEXT");
    p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
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
    try {
      Files.createDirectories(dir);
      try (Writer w = Files.newBufferedWriter(config)) {
        p.store(w, "written by xmodal on every start; edit XMODAL_* settings instead");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + config, e);
    }
    ChildProcess child = ChildProcess.start("kafka-broker",
        List.of("-Xmx" + settings.brokerHeap(), "-Xms128m", "-XX:+UseG1GC", "-Djava.awt.headless=true",
            "-Dlogback.configurationFile=xmodal-child-logback.xml"),
        System.getProperty("java.class.path"), BrokerMain.class.getName(), List.of(config.toString()),
        dir, logFile, line -> line.startsWith(BrokerMain.READY));
    return new EmbeddedBroker(child, host + ":" + settings.brokerPort());
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
