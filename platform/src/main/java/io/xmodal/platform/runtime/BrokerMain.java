package io.xmodal.platform.runtime;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A single-node KRaft Kafka (broker and controller in one process), run in a child JVM by {@link EmbeddedBroker}.
 * Formats its storage on first start, reuses it afterwards; prints {@link #READY} once it serves clients.
 */
public final class BrokerMain {

  public static final String READY = "XMODAL-BROKER-READY";

  private BrokerMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      throw new IllegalArgumentException("usage: BrokerMain <server.properties>");
    }
    Properties props = new Properties();
    try (Reader r = Files.newBufferedReader(Path.of(args[0]))) {
      props.load(r);
    }
    String logDir = props.getProperty("log.dirs");
    if (!Files.exists(Path.of(logDir, "meta.properties"))) {
      format(props, logDir);
    }
    KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(props, false), Time.SYSTEM);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.shutdown();
      server.awaitShutdown();
    }, "broker-shutdown"));
    server.startup();
    System.out.println(READY + " " + props.getProperty("advertised.listeners"));
    System.out.flush();
    server.awaitShutdown();
  }

  private static void format(Properties props, String logDir) throws Exception {
    Files.createDirectories(Path.of(logDir));
    new Formatter()
        .setPrintStream(System.out)
        .setClusterId(Uuid.randomUuid().toString())
        .setNodeId(Integer.parseInt(props.getProperty("node.id")))
        .setControllerListenerName(props.getProperty("controller.listener.names"))
        .setMetadataLogDirectory(logDir)
        .setDirectories(List.of(logDir))
        .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
        .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
        .run();
  }
}
