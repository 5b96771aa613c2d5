package io.xmodal.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xmodal.embedded.EmbeddedBroker.Node;
import io.xmodal.platform.config.ConfigException;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.Credentials;
import io.xmodal.platform.config.EmbeddedSettings;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.serde.PlainAvroSerdes;
import io.xmodal.platform.streams.StreamsSettings;
import io.xmodal.platform.topics.TopicCatalogue;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The server.properties of each node: voters, listeners, data dirs, replication of the internal topics. */
class EmbeddedClusterConfigTest {

  private static final EmbeddedSettings DEFAULTS = EmbeddedSettings.from(ConfigSource.of(Map.of()));
  private static final Path KAFKA = Path.of("/w/kafka");
  private static final Path LOGS = Path.of("/w/logs");

  private static EmbeddedBroker.Cluster cluster(List<Node> nodes) {
    return new EmbeddedBroker.Cluster(DEFAULTS, nodes, 1024, new Credentials("internal", "pw"), Optional.of("id"));
  }

  @Test
  void shouldMakeEveryNodeOfThreeAVoterWithItsOwnPortsAndDataAndReplicateInternalTopicsThreeTimes() {
    // Given the layout of three nodes from the default ports
    List<Node> nodes = EmbeddedCluster.layout(DEFAULTS, 3, KAFKA, LOGS);

    // Then each has its own ports, folder and log
    assertThat(nodes).containsExactly(
        new Node(1, 29092, 29093, Path.of("/w/kafka-cluster-3/node-1"), LOGS.resolve("broker-1.log")),
        new Node(2, 29094, 29095, Path.of("/w/kafka-cluster-3/node-2"), LOGS.resolve("broker-2.log")),
        new Node(3, 29096, 29097, Path.of("/w/kafka-cluster-3/node-3"), LOGS.resolve("broker-3.log")));

    // When node 2's properties are written
    Properties p = EmbeddedBroker.serverProperties(cluster(nodes), nodes.get(1));

    // Then all three vote, it listens on its own ports, and everything is replicated 3 times, acknowledged by 2
    assertThat(p.getProperty("node.id")).isEqualTo("2");
    assertThat(p.getProperty("process.roles")).isEqualTo("broker,controller");
    assertThat(p.getProperty("controller.quorum.voters"))
        .isEqualTo("1@127.0.0.1:29093,2@127.0.0.1:29095,3@127.0.0.1:29097");
    assertThat(p.getProperty("listeners")).isEqualTo("PLAINTEXT://127.0.0.1:29094,CONTROLLER://127.0.0.1:29095");
    assertThat(p.getProperty("advertised.listeners")).isEqualTo("PLAINTEXT://127.0.0.1:29094");
    assertThat(p.getProperty("log.dirs")).isEqualTo(Path.of("/w/kafka-cluster-3/node-2/data").toString());
    assertThat(p).contains(
        Map.entry("default.replication.factor", "3"),
        Map.entry("min.insync.replicas", "2"),
        Map.entry("offsets.topic.replication.factor", "3"),
        Map.entry("transaction.state.log.replication.factor", "3"),
        Map.entry("transaction.state.log.min.isr", "2"),
        Map.entry("share.coordinator.state.topic.replication.factor", "3"),
        Map.entry("share.coordinator.state.topic.min.isr", "2"));
  }

  @Test
  void shouldKeepTheSingleNodeBrokerAsItWas() {
    List<Node> nodes = EmbeddedCluster.layout(DEFAULTS, 1, KAFKA, LOGS);
    assertThat(nodes).containsExactly(new Node(1, 29092, 29093, KAFKA, LOGS.resolve("broker.log")));

    Properties p = EmbeddedBroker.serverProperties(cluster(nodes), nodes.get(0));

    assertThat(p.getProperty("controller.quorum.voters")).isEqualTo("1@127.0.0.1:29093");
    assertThat(p.getProperty("log.dirs")).isEqualTo(KAFKA.resolve("data").toString());
    assertThat(p).contains(
        Map.entry("default.replication.factor", "1"),
        Map.entry("min.insync.replicas", "1"),
        Map.entry("offsets.topic.replication.factor", "1"),
        Map.entry("transaction.state.log.replication.factor", "1"),
        Map.entry("transaction.state.log.min.isr", "1"),
        Map.entry("share.coordinator.state.topic.replication.factor", "1"),
        Map.entry("share.coordinator.state.topic.min.isr", "1"));
  }

  @Test
  void shouldUseTheSharedInternalUserOnEveryNodesSaslListeners() {
    EmbeddedSettings sasl = EmbeddedSettings.from(ConfigSource.of(Map.of(
        "XMODAL_EMBEDDED_SASL_USER", "alice", "XMODAL_EMBEDDED_SASL_PASSWORD", "alice-pw")));
    List<Node> nodes = EmbeddedCluster.layout(sasl, 3, KAFKA, LOGS);
    EmbeddedBroker.Cluster cluster = new EmbeddedBroker.Cluster(sasl, nodes, 1024,
        new Credentials("xmodalbroker", "shared-secret"), Optional.of("id"));

    for (Node n : nodes) {
      Properties p = EmbeddedBroker.serverProperties(cluster, n);
      assertThat(p.getProperty("inter.broker.listener.name")).isEqualTo("SASL_PLAINTEXT");
      assertThat(p.getProperty("listener.name.controller.plain.sasl.jaas.config")).contains("\"shared-secret\"");
      assertThat(p.toString()).doesNotContain("alice-pw");
    }
  }

  @Test
  void shouldRefusePortsThatOverlapBetweenNodes() {
    EmbeddedSettings close = DEFAULTS.withPorts(40000, 40002, 28081);

    assertThatThrownBy(() -> EmbeddedCluster.start(close, EmbeddedCluster.layout(close, 3, KAFKA, LOGS), 1024))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("XMODAL_BROKER_PORT");
  }

  @Test
  void shouldReplicateTopicsAndStreamsInternalTopicsThreeTimesWithMinInsyncTwoAtReplicationThree() {
    PlatformConfig three = PlatformConfig.from(ConfigSource.of(Map.of(
        "KAFKA_BOOTSTRAP_SERVERS", "a:1,b:2,c:3", "XMODAL_REPLICATION_FACTOR", "3")));
    TopicCatalogue topics = TopicCatalogue.create(three.topics(), new PlainAvroSerdes());

    assertThat(topics.all()).allSatisfy(t -> {
      assertThat(t.replication()).isEqualTo((short) 3);
      assertThat(t.configs()).containsEntry("min.insync.replicas", "2");
    });
    Properties streams = StreamsSettings.properties(three, "app", topics, 100);
    assertThat(streams.get("replication.factor")).isEqualTo(3);
    assertThat(streams.get("topic.min.insync.replicas")).isEqualTo(2);

    PlatformConfig one = PlatformConfig.from(ConfigSource.of(Map.of("KAFKA_BOOTSTRAP_SERVERS", "a:1")));
    TopicCatalogue single = TopicCatalogue.create(one.topics(), new PlainAvroSerdes());
    assertThat(single.all()).allSatisfy(t -> assertThat(t.configs()).doesNotContainKey("min.insync.replicas"));
    Properties alone = StreamsSettings.properties(one, "app", single, 100);
    assertThat(alone.get("replication.factor")).isEqualTo(1);
    assertThat(alone).doesNotContainKey("topic.min.insync.replicas");
  }

  @Test
  void shouldGiveProducersABufferThatHoldsTheLargestRecord() {
    // Given the default record limit and one above the producer's default 32-MiB buffer
    for (String limit : new String[] {null, Integer.toString(48 << 20)}) {
      Map<String, String> env = limit == null ? Map.of("KAFKA_BOOTSTRAP_SERVERS", "a:1")
          : Map.of("KAFKA_BOOTSTRAP_SERVERS", "a:1", "XMODAL_MAX_MESSAGE_BYTES", limit);
      PlatformConfig config = PlatformConfig.from(ConfigSource.of(env));
      Properties streams = StreamsSettings.properties(config, "app",
          TopicCatalogue.create(config.topics(), new PlainAvroSerdes()), 100);

      // Then a record of the limit fits both the request and the producer's buffer (which refuses larger ones)
      long largest = config.topics().maxMessageBytes();
      assertThat(streams.get("producer.max.request.size")).isEqualTo((int) largest);
      assertThat((Long) streams.get("producer.buffer.memory")).isGreaterThan(largest);
      assertThat(streams.get("consumer.max.partition.fetch.bytes")).isEqualTo((int) largest);
      // and so does every plain producer xmodal ships
      assertThat(config.producerConfig()).containsEntry("max.request.size", (int) largest)
          .containsEntry("bootstrap.servers", "a:1");
      assertThat((Long) config.producerConfig().get("buffer.memory")).isGreaterThan(largest)
          .isGreaterThanOrEqualTo(32L << 20);
    }
  }
}
