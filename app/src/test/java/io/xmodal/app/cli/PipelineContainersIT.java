package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.client.dataset.Dataset;
import io.xmodal.client.dataset.Flickr8k;
import io.xmodal.client.dataset.Split;
import io.xmodal.ingest.IngestTestImages;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.config.TopicSettings;
import io.xmodal.tools.demo.Demo;
import io.xmodal.tools.stack.Stack;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.utils.internals.AppInfoParser;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The pipeline against a Kafka broker and an Apicurio registry in containers, as docker/docker-compose.yml runs them:
 * {@code apache/kafka} at the version on the classpath (the build's kafka.version) and the registry storing its
 * schemas in that Kafka (kafkasql). Skips itself where no Docker engine is available; {@link IngestEndToEndIT} and
 * {@link QueryEndToEndIT} cover the same paths on the embedded default.
 */
@Tag("e2e")
@Timeout(1200)
@Testcontainers(disabledWithoutDocker = true)
class PipelineContainersIT {

  static final Network NETWORK = Network.newNetwork();

  @Container
  static final KafkaContainer KAFKA = new KafkaContainer(
      DockerImageName.parse("apache/kafka:" + AppInfoParser.getVersion()))
      .withNetwork(NETWORK)
      .withListener("kafka:19092")
      .withEnv("KAFKA_MESSAGE_MAX_BYTES", Integer.toString(TopicSettings.DEFAULT_MAX_MESSAGE_BYTES + 65536));

  @Container
  static final GenericContainer<?> REGISTRY =
      new GenericContainer<>(DockerImageName.parse("quay.io/apicurio/apicurio-registry-kafkasql:2.6.13.Final"))
          .withNetwork(NETWORK)
          .withEnv("KAFKA_BOOTSTRAP_SERVERS", "kafka:19092")
          .withExposedPorts(8080)
          .dependsOn(KAFKA)
          .waitingFor(Wait.forHttp("/apis/ccompat/v7/subjects").forStatusCode(200)
              .withStartupTimeout(Duration.ofMinutes(3)));

  @TempDir
  Path work;

  /** The cluster's endpoints, topics and application ids of their own per test (the containers are shared). */
  private Map<String, String> cluster(String prefix) {
    Map<String, String> env = new HashMap<>(Map.of(
        "XMODAL_WORK_DIR", work.toString(),
        "KAFKA_BOOTSTRAP_SERVERS", KAFKA.getBootstrapServers(),
        "XMODAL_REGISTRY_URL", "http://" + REGISTRY.getHost() + ":" + REGISTRY.getMappedPort(8080),
        "XMODAL_REPLICATION_FACTOR", "1",
        "XMODAL_TOPIC_PREFIX", prefix,
        "XMODAL_METRICS_INTERVAL", "1s"));
    for (String service : new String[] {"INGEST", "ENCODE", "TRAINER", "QUERY"}) {
      env.put("XMODAL_" + service + "_APPLICATION_ID", prefix + "-" + service.toLowerCase(java.util.Locale.ROOT));
    }
    return env;
  }

  @Test
  void shouldAccountForEveryRecordAgainstContainers() throws Exception {
    Map<String, String> env = cluster("ingest-scenario");
    env.put("XMODAL_INGEST_MAX_IMAGE_BYTES", Long.toString(IngestScenario.MAX_IMAGE_BYTES));

    try (Stack stack = Stack.start(ConfigSource.of(env), Set.of(Stack.Service.INGEST))) {
      new IngestScenario(stack.config(), stack.topics()).run();
    }
  }

  @Test
  void shouldEncodeTrainAndAnswerQueriesAgainstContainers() throws Exception {
    // Given a few Flickr8k train images and dev images with their captions, and all four services on the containers
    Dataset train = Flickr8k.load(IngestTestImages.flickr8k(), Split.TRAIN, 150);
    Dataset eval = Flickr8k.load(IngestTestImages.flickr8k(), Split.DEV, 20);
    Map<String, String> env = cluster("pipeline");
    env.put("XMODAL_SHARED_DIR", IngestTestImages.sharedDir().toString());
    env.put("XMODAL_TRAINER_GRID", "quick");
    env.put("XMODAL_TRAINER_LEARNED", "false");
    ConfigSource base = ConfigSource.of(env);
    ConfigSource source = DemoCommand.demoSettings(base, PlatformConfig.from(base), train);

    try (Stack stack = Stack.start(source)) {
      assertThat(stack.runtime()).as("no embedded broker or registry: the containers").isEmpty();

      // When they are published, encoded, paired and fitted, and every dev caption and image is sent as a query
      Demo.Outcome o = new Demo(stack.config(), stack.topics(), System.out).run(train, eval, 10, "default",
          Duration.ofMinutes(15));

      // Then a mapping was fitted on every training pair, and every query was answered with it
      assertThat(io.xmodal.mapping.codec.MappingCodec.trainingPairs(o.mapping())).isEqualTo(train.trainingPairs(id -> io.xmodal.mapping.HeldOut.isHeldOut(id, 10)));
      assertThat(o.queries()).isEqualTo(eval.captions().size() + eval.images().size());
      assertThat(Math.abs(o.online().rsum() - o.offline().rsum())).isLessThanOrEqualTo(0.5);
      assertThat(o.online().t2iR10()).isGreaterThan(0.0);
    }
  }
}
