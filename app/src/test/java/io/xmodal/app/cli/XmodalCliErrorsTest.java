package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.embedded.ChildProcess;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.process.Ports;
import io.xmodal.platform.serde.RegistryAvroSerdes;
import io.xmodal.schemas.ImageEvent;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** What the CLI prints when a broker or registry does not answer, or an embedded one does not start. */
@Timeout(60)
class XmodalCliErrorsTest {

  @TempDir
  Path work;

  /** A command that fails the way a real one would. */
  @Command(name = "fails")
  static final class Failing implements Callable<Integer> {
    private final Callable<Integer> body;

    Failing(Callable<Integer> body) {
      this.body = body;
    }

    @Override
    public Integer call() throws Exception {
      return body.call();
    }
  }

  record Run(int exitCode, String err) {}

  private Run run(Map<String, String> env, Callable<Integer> body) {
    Map<String, String> all = new HashMap<>(env);
    all.put("XMODAL_WORK_DIR", work.toString());
    CommandLine cli = XmodalCli.commandLine(ConfigSource.of(all));
    cli.addSubcommand("fails", new Failing(body));
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute("fails");
    return new Run(code, err.toString());
  }

  /** What publishing an ImageEvent through the registry serde throws when the registry refuses connections. */
  private static Callable<Integer> serialisingThrough(String registryApi) {
    return () -> {
      new RegistryAvroSerdes(registryApi).valueSerde(ImageEvent.class).serializer().serialize("xmodal.images.raw",
          ImageEvent.newBuilder().setImageId("a").setBytes(ByteBuffer.wrap(new byte[] {1})).setSource("t")
              .setProducedAt(java.time.Instant.EPOCH).build());
      return 0;
    };
  }

  @Test
  void shouldNameTheUnreachableRegistryAndItsSettingWithoutAStackTrace() {
    // Given XMODAL_REGISTRY_URL pointing at a port nothing listens on
    String api = "http://127.0.0.1:" + Ports.freePort() + "/apis/registry/v2";

    // When a command needs a schema id from it
    Run run = run(Map.of("XMODAL_REGISTRY_URL", api, "KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9"),
        serialisingThrough(api));

    // Then one line says which endpoint did not answer and which setting names it; exit code 2, no stack trace
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).startsWith("error: the schema registry at " + api + " is unreachable (connection refused")
        .contains("XMODAL_REGISTRY_URL").contains("XMODAL_DEBUG=true")
        .doesNotContain("RestClientException").doesNotContain("\tat ");
  }

  @Test
  void shouldPrintTheStackTraceWhenAskedTo() {
    String api = "http://127.0.0.1:" + Ports.freePort() + "/apis/registry/v2";

    Run run = run(Map.of("XMODAL_REGISTRY_URL", api, "KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9",
        "XMODAL_DEBUG", "true"), serialisingThrough(api));

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).startsWith("error: the schema registry at " + api).contains("RestClientException")
        .contains("\tat ");
  }

  @Test
  void shouldSayHowToGetARegistryWhenNoneIsConfigured() {
    String api = "http://127.0.0.1:" + Ports.freePort() + "/apis/registry/v2";

    Run run = run(Map.of(), serialisingThrough(api));

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).startsWith("error: the schema registry is unreachable (connection refused")
        .contains("set XMODAL_REGISTRY_URL to a running one, or start xmodal with './xmodal up'");
  }

  @Test
  void shouldNameTheUnreachableBrokerAndItsSetting() {
    // Given KAFKA_BOOTSTRAP_SERVERS pointing at a port nothing listens on
    String bootstrap = "127.0.0.1:" + Ports.freePort();

    // When a command publishes to it (the producer gives up after its max.block.ms)
    Run run = run(Map.of("KAFKA_BOOTSTRAP_SERVERS", bootstrap, "XMODAL_REGISTRY_URL", "http://127.0.0.1:9"), () -> {
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.MAX_BLOCK_MS_CONFIG, 1500),
          new StringSerializer(), new StringSerializer())) {
        producer.send(new ProducerRecord<>("xmodal.images.raw", "k", "v")).get();
      }
      return 0;
    });

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).startsWith("error: the Kafka broker at " + bootstrap + " is unreachable")
        .contains("KAFKA_BOOTSTRAP_SERVERS").doesNotContain("\tat ");
  }

  @Test
  void shouldSayWhenAnEmbeddedDependencyDidNotStart() {
    // Given an embedded child that exits while starting
    Run run = run(Map.of(), () -> {
      ChildProcess child = ChildProcess.start("schema-registry", List.of(), System.getProperty("java.class.path"),
          "no.such.MainClass", List.of(), work, work.resolve("logs").resolve("registry.log"), line -> false);
      child.awaitReady(Duration.ofSeconds(30));
      return 0;
    });

    assertThat(run.exitCode()).isEqualTo(2);
    // (the end of the child's own log is quoted; this process's stack trace is not printed)
    assertThat(run.err()).startsWith("error: the embedded schema-registry exited with code")
        .contains("registry.log").contains("ClassNotFoundException: no.such.MainClass")
        .doesNotContain("StartFailedException").doesNotContain("XmodalCliErrorsTest");
  }
}
