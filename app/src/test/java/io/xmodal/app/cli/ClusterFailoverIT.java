package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.xmodal.embedded.EmbeddedBroker;
import io.xmodal.embedded.EmbeddedCluster;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.EmbeddedSettings;
import io.xmodal.platform.process.Ports;
import io.xmodal.platform.topics.TopicAdmin;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A three-node embedded cluster loses a node to kill -9, keeps serving exactly-once, and takes the node back. */
@Tag("e2e")
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class ClusterFailoverIT {

  private static final String TOPIC = "failover";

  @TempDir
  Path work;

  private EmbeddedCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void shouldCommitAndReadTransactionsWithOneNodeKilledAndBringItBackInSync() throws Exception {
    // Given a three-node cluster and a topic with 3 replicas of which 2 must acknowledge
    EmbeddedSettings settings = EmbeddedSettings.from(ConfigSource.of(Map.of()));
    List<EmbeddedBroker.Node> nodes = new ArrayList<>();
    for (int id = 1; id <= 3; id++) {
      nodes.add(new EmbeddedBroker.Node(id, Ports.freePort(), Ports.freePort(), work.resolve("node-" + id),
          work.resolve("logs").resolve("broker-" + id + ".log")));
    }
    cluster = EmbeddedCluster.start(settings, nodes, 1024 * 1024);
    cluster.awaitReady(Duration.ofSeconds(90));
    Map<String, Object> client = Map.of("bootstrap.servers", cluster.bootstrapServers());
    try (Admin admin = Admin.create(client)) {
      admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
          .all().get(30, TimeUnit.SECONDS);
      // a node that has not yet applied the new topic's metadata answers UNKNOWN_TOPIC_OR_PARTITION for a moment
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
          .ignoreExceptionsInstanceOf(ExecutionException.class)
          .untilAsserted(() -> assertThat(describe(admin).partitions())
              .allSatisfy(p -> assertThat(p.replicas()).hasSize(3)));
    }
    TopicAdmin.awaitInSync(client, Duration.ofSeconds(30));

    // When the node that leads the metadata quorum is killed with SIGKILL
    int victim;
    try (Admin admin = Admin.create(client)) {
      victim = admin.describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS).leaderId();
    }
    long pid = cluster.node(victim).process().pid();
    int exit = cluster.kill(victim);
    assertThat(ProcessHandle.of(pid)).isEmpty();
    assertThat(exit).isEqualTo(137);

    // Then a transactional producer still commits (one transaction) and aborts (another) on the two left
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
        "bootstrap.servers", cluster.bootstrapServers(), "transactional.id", "failover-it", "acks", "all",
        "delivery.timeout.ms", 60_000, "request.timeout.ms", 10_000),
        new StringSerializer(), new StringSerializer())) {
      producer.initTransactions();
      producer.beginTransaction();
      for (int i = 0; i < 10; i++) {
        producer.send(new ProducerRecord<>(TOPIC, "k" + i, "committed-" + i));
      }
      producer.commitTransaction();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(TOPIC, "x", "aborted")).get(30, TimeUnit.SECONDS);
      producer.abortTransaction();
    }
    // and a read_committed consumer sees exactly the committed records
    List<String> read = readCommitted(10, Duration.ofSeconds(30));
    assertThat(read).containsExactlyInAnyOrder(
        "committed-0", "committed-1", "committed-2", "committed-3", "committed-4",
        "committed-5", "committed-6", "committed-7", "committed-8", "committed-9");

    // When the node is restarted on its data and ports
    EmbeddedBroker back = cluster.restart(victim, Duration.ofSeconds(60));

    // Then it serves again under a new pid and every replica, the internal topics' too, is back in sync
    assertThat(back.process().pid()).isNotEqualTo(pid);
    TopicAdmin.awaitInSync(client, Duration.ofSeconds(45));
    try (Admin admin = Admin.create(client)) {
      assertThat(describe(admin).partitions()).allSatisfy(p -> assertThat(p.isr()).hasSize(3));
      assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS)).hasSize(3);
    }
  }

  private static TopicDescription describe(Admin admin) throws Exception {
    return admin.describeTopics(List.of(TOPIC)).allTopicNames().get(30, TimeUnit.SECONDS).get(TOPIC);
  }

  /** Polls until {@code expected} values arrived, then once more to show that nothing else comes. */
  private List<String> readCommitted(int expected, Duration timeout) {
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
        "bootstrap.servers", cluster.bootstrapServers(), "group.id", "failover-it", "isolation.level",
        "read_committed", "auto.offset.reset", "earliest"), new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(TOPIC));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (values.size() < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
          values.add(r.value());
        }
      }
      for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofSeconds(2))) {
        values.add(r.value());
      }
    }
    return values;
  }
}
