package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.xmodal.app.ConfigReferenceTest;
import io.xmodal.platform.config.TopicSettings;
import io.xmodal.tools.stack.Stack;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.internals.AppInfoParser;
import org.apache.kafka.server.config.AbstractKafkaConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;

/**
 * {@code docker/docker-compose.yml} and {@code docker/Dockerfile} against the code. There is no Docker engine on the
 * development or CI machines, so what can be proven without one is proven here: every container runs a real
 * {@code xmodal} command, sets only variables the typed config (or Kafka) knows, runs the Kafka version the build
 * uses, and checks the health the service reports; {@code docker-compose config} validates the file where the tool is
 * installed. Runs from the app module's folder, so the repository root is {@code ..}. SnakeYAML (it resolves the
 * file's anchors and merge keys) is on the classpath with Kafka's broker.
 */
class ComposeFileTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path COMPOSE = ROOT.resolve("docker/docker-compose.yml");
  private static final Path DOCKERFILE = ROOT.resolve("docker/Dockerfile");
  private static final Pattern DEFAULTED = Pattern.compile("\\$\\{[A-Z0-9_]+:-([^}]*)}");
  private static final String JAR = "/opt/xmodal/xmodal-app.jar";

  @Test
  void shouldRunOnlyRealXmodalCommands() {
    // Given the services of the compose file that run the xmodal image
    Map<String, Map<String, Object>> xmodal = xmodalServices();
    assertThat(xmodal).as("services running the xmodal image").hasSizeGreaterThanOrEqualTo(5);

    // When each command is parsed by the CLI's own command tree, Then it is a command the CLI has
    Map<String, List<String>> commands = new LinkedHashMap<>();
    xmodal.forEach((name, service) -> {
      List<String> command = strings(service.get("command"));
      assertThat(command).as("command of %s", name).isNotEmpty();
      CommandLine.ParseResult parsed = XmodalCli.commandLine().parseArgs(command.toArray(String[]::new));
      assertThat(parsed.unmatched()).as("unmatched arguments of %s", name).isEmpty();
      commands.put(name, command);
    });
    // and the four services run each on its own, and a topic-init step runs 'topics create'
    Set<String> run = commands.values().stream().filter(c -> c.size() == 2 && c.get(0).equals("service"))
        .map(c -> Stack.Service.valueOf(c.get(1).toUpperCase(java.util.Locale.ROOT)).name())
        .collect(Collectors.toCollection(TreeSet::new));
    assertThat(run).containsExactlyInAnyOrder(
        java.util.Arrays.stream(Stack.Service.values()).map(Enum::name).toArray(String[]::new));
    assertThat(commands.get("topics-init")).startsWith("topics", "create");
  }

  @Test
  void shouldStartTheServicesAfterTheTopicsExistAndCheckTheHealthTheyReport() {
    Map<String, Map<String, Object>> xmodal = xmodalServices();
    String workDir = dockerfileEnv().get("XMODAL_WORK_DIR");
    assertThat(workDir).as("the image's XMODAL_WORK_DIR").isNotBlank();
    xmodal.forEach((name, service) -> {
      List<String> command = strings(service.get("command"));
      if (command.size() != 2 || !command.get(0).equals("service")) {
        return;
      }
      Stack.Service which = Stack.Service.valueOf(command.get(1).toUpperCase(java.util.Locale.ROOT));
      // the services wait for the topics topic-init creates, and it must have finished
      assertThat(env(service)).as("%s: topic-init creates the topics", name).containsEntry("XMODAL_CREATE_TOPICS",
          "false");
      assertThat(map(map(service.get("depends_on")).get("topics-init")))
          .as("%s depends on topic-init", name).containsEntry("condition", "service_completed_successfully");
      // the health check reads the status file that service writes (StatusFile: exactly RUNNING when healthy)
      String statusFile = workDir + "/status/" + which.definition().name();
      assertThat(strings(map(service.get("healthcheck")).get("test"))).as("health check of %s", name)
          .containsExactly("CMD", "grep", "-qx", "RUNNING", statusFile);
      // replicas must not share a Kafka Streams state directory: one anonymous volume each
      Object replicas = map(service.get("deploy")).get("replicas");
      List<String> stateVolumes = strings(service.get("volumes")).stream()
          .filter(v -> v.equals(workDir) || v.endsWith(":" + workDir)).toList();
      assertThat(stateVolumes).as("%s: a volume for its state", name).hasSize(1);
      if (replicas instanceof Integer n && n > 1) {
        assertThat(stateVolumes.get(0)).as("%s has %d replicas: its state volume must be per container", name, n)
            .isEqualTo(workDir);
      }
    });
    assertThat(map(services().get("encode-stream").get("deploy")).get("replicas")).isEqualTo(2);
    assertThat(map(services().get("query-stream").get("deploy")).get("replicas")).isEqualTo(2);
  }

  @Test
  void shouldSetOnlyVariablesTheTypedConfigKnows() {
    // Given what the code reads (the names ConfigReferenceTest holds docs/configuration.md to) and what Kafka's clients take
    Set<String> xmodalNames = new TreeSet<>(ConfigReferenceTest.readByCode());
    xmodalNames.addAll(ConfigReferenceTest.readByLauncherAndLogging());
    Set<String> clientNames = new TreeSet<>(ProducerConfig.configNames());
    clientNames.addAll(ConsumerConfig.configNames());
    clientNames.addAll(AdminClientConfig.configNames());
    clientNames.addAll(StreamsConfig.configDef().names());

    // When every variable the xmodal containers and the image set is checked
    Map<String, String> set = new LinkedHashMap<>(dockerfileEnv());
    xmodalServices().forEach((name, service) -> set.putAll(env(service)));
    List<String> unknown = new ArrayList<>();
    set.keySet().forEach(k -> {
      if (k.startsWith("XMODAL_")) {
        if (!xmodalNames.contains(k)) {
          unknown.add(k);
        }
      } else if (k.startsWith("KAFKA_")) {
        if (!clientNames.contains(k.substring("KAFKA_".length()).toLowerCase(java.util.Locale.ROOT).replace('_', '.'))) {
          unknown.add(k);
        }
      } else if (!Set.of("HOME", "OMP_WAIT_POLICY", "JAVA_HOME", "PATH").contains(k)) {
        unknown.add(k);
      }
    });

    // Then none is unknown: a misspelt XMODAL_ variable would be ignored silently
    assertThat(unknown).as("variables no xmodal code, Kafka client or Kafka Streams setting reads").isEmpty();
    assertThat(set).containsKeys("KAFKA_BOOTSTRAP_SERVERS", "XMODAL_REGISTRY_URL", "XMODAL_WORK_DIR",
        "XMODAL_SHARED_DIR");
  }

  @Test
  void shouldConfigureTheBrokersWithSettingsKafkaKnows() {
    // Given Kafka's broker settings (the apache/kafka image turns KAFKA_LOG_DIRS into log.dirs)
    Set<String> brokerNames = AbstractKafkaConfig.CONFIG_DEF.names();
    Map<String, Map<String, Object>> brokers = servicesWithImage("apache/kafka:");
    assertThat(brokers).containsOnlyKeys("kafka", "kafka-2", "kafka-3");

    brokers.forEach((name, broker) -> {
      Map<String, String> env = env(broker);
      // Then every KAFKA_ variable is a broker setting, and the cluster id is a valid one
      assertThat(env.keySet().stream().filter(k -> k.startsWith("KAFKA_"))
          .map(k -> k.substring("KAFKA_".length()).toLowerCase(java.util.Locale.ROOT).replace('_', '.'))
          .filter(k -> !brokerNames.contains(k)).toList()).as("unknown broker settings of %s", name).isEmpty();
      assertThat(Uuid.fromString(env.get("CLUSTER_ID"))).isNotEqualTo(Uuid.ZERO_UUID);
      // and a record of the largest size xmodal writes by default (XMODAL_MAX_MESSAGE_BYTES) fits, also on a replica
      long largest = TopicSettings.DEFAULT_MAX_MESSAGE_BYTES + 64 * 1024; // with the embedded broker's batch headroom
      assertThat(Long.parseLong(env.get("KAFKA_MESSAGE_MAX_BYTES"))).isGreaterThanOrEqualTo(largest);
      assertThat(Long.parseLong(env.get("KAFKA_REPLICA_FETCH_MAX_BYTES"))).isGreaterThanOrEqualTo(largest);
    });
    // the extra brokers only in the cluster profile
    assertThat(strings(brokers.get("kafka-2").get("profiles"))).containsExactly("cluster");
  }

  @Test
  void shouldRunTheKafkaVersionTheBuildUsesAndAPersistentRegistry() {
    // Given the Kafka version on the classpath (kafka.version in pom.xml)
    String kafka = AppInfoParser.getVersion();
    assertThat(kafka).matches("\\d+\\.\\d+\\.\\d+");

    // Then every broker runs that version
    servicesWithImage("apache/kafka:").forEach((name, broker) ->
        assertThat(image(broker)).as("image of %s", name).isEqualTo("apache/kafka:" + kafka));
    // and the registry is Apicurio at the build's version, storing its schemas in Kafka (not in memory)
    String apicurio = pomProperty("apicurio.version");
    Map<String, Object> registry = services().get("registry");
    assertThat(image(registry)).isEqualTo("quay.io/apicurio/apicurio-registry-kafkasql:" + apicurio);
    assertThat(env(registry)).containsKey("KAFKA_BOOTSTRAP_SERVERS");
  }

  @Test
  void shouldReserveAGpuForTheEncodeWorkerOfTheGpuProfile() {
    // Given the services of the gpu profile
    Map<String, Map<String, Object>> gpu = new LinkedHashMap<>();
    services().forEach((name, s) -> {
      if (strings(s.get("profiles")).contains("gpu")) {
        gpu.put(name, s);
      }
    });
    assertThat(gpu).as("services of the gpu profile").hasSize(1);
    Map<String, Object> worker = gpu.values().iterator().next();

    // Then it is an encode worker on the gpu image, with a GPU reserved and XMODAL_DEVICE=gpu
    assertThat(strings(worker.get("command"))).containsExactly("service", "encode");
    assertThat(map(worker.get("build")).get("target")).isEqualTo("gpu");
    assertThat(env(worker)).containsEntry("XMODAL_DEVICE", "gpu");
    List<Object> devices = list(map(map(map(worker.get("deploy")).get("resources")).get("reservations"))
        .get("devices"));
    assertThat(devices).hasSize(1);
    assertThat(map(devices.get(0))).containsEntry("driver", "nvidia");
    assertThat(strings(map(devices.get(0)).get("capabilities"))).contains("gpu");
  }

  @Test
  void shouldBuildOneNonRootImageWhoseEntrypointIsTheCli() {
    // Given the Dockerfile's stages (FROM … AS name), their base images with the ARG defaults filled in
    List<String> lines = dockerfileLines();
    Map<String, String> args = new LinkedHashMap<>();
    Map<String, List<String>> stages = new LinkedHashMap<>();
    Map<String, String> bases = new LinkedHashMap<>();
    List<String> current = null;
    for (String line : lines) {
      Matcher arg = Pattern.compile("^ARG ([A-Z_]+)=(\\S+)$").matcher(line);
      Matcher from = Pattern.compile("^FROM (\\S+) AS (\\S+)$").matcher(line);
      if (current == null && arg.matches()) {
        args.put(arg.group(1), arg.group(2));
      } else if (from.matches()) {
        String base = from.group(1);
        for (var a : args.entrySet()) {
          base = base.replace("${" + a.getKey() + "}", a.getValue());
        }
        bases.put(from.group(2), base);
        current = new ArrayList<>();
        stages.put(from.group(2), current);
      } else if (current != null) {
        current.add(line);
      }
    }
    String last = new ArrayList<>(stages.keySet()).get(stages.size() - 1);

    // Then the default (last) target runs on a JRE 17 and the gpu target on CUDA 12 with cuDNN
    assertThat(last).isEqualTo("cpu");
    assertThat(bases.get("cpu")).startsWith("eclipse-temurin:17-jre");
    assertThat(bases.get("gpu")).matches("nvidia/cuda:12\\.[0-9.]+-cudnn-runtime-ubuntu[0-9.]+");
    // each built from the sources with ./mvnw, tests skipped, the gpu one with the project's gpu profile
    assertThat(String.join("\n", stages.get("build-cpu"))).contains("./mvnw ").contains("-DskipTests")
        .doesNotContain("-Pgpu");
    assertThat(String.join("\n", stages.get("build-gpu"))).contains("./mvnw ").contains("-Pgpu")
        .contains("-DskipTests");
    assertThat(read(ROOT.resolve("pom.xml"))).contains("<id>gpu</id>");
    assertThat(String.join("\n", stages.get("gpu"))).contains("COPY --from=build-gpu ");
    assertThat(String.join("\n", stages.get("cpu"))).contains("COPY --from=build-cpu ");
    // and both run the CLI as a user that is not root
    for (String target : List.of("cpu", "gpu")) {
      List<String> stage = stages.get(target);
      assertThat(stage).as("%s: ENTRYPOINT", target)
          .contains("ENTRYPOINT [\"java\", \"-Dai.djl.offline=true\", \"-jar\", \"" + JAR + "\"]");
      String user = stage.stream().filter(l -> l.startsWith("USER ")).reduce((a, b) -> b).orElse("USER root");
      assertThat(user).as("%s: the last USER", target).doesNotContain("root").doesNotMatch("USER 0(:.*)?");
    }
    assertThat(read(ROOT.resolve("app/pom.xml"))).contains("<finalName>xmodal-app</finalName>");
    // and the build context leaves out build outputs and local data
    assertThat(lines(ROOT.resolve(".dockerignore"))).contains("**/target", "work", ".git");
  }

  @Test
  @Timeout(120)
  void shouldPassDockerComposeConfigWhereTheToolIsInstalled() throws Exception {
    // Given docker-compose (the Debian package) or docker with its compose plugin, if either is installed
    Optional<List<String>> tool = composeTool();
    assumeTrue(tool.isPresent(), "neither docker-compose nor 'docker compose' is installed: compose config "
        + "validation skipped (the structural checks above still ran)");

    // When it validates the file, on its own, with the cluster settings, and with the gpu profile
    for (List<String> extra : List.of(List.<String>of(), List.of("--env-file", "docker/cluster.env"),
        List.of("--profile", "gpu"))) {
      List<String> argv = new ArrayList<>(tool.get());
      argv.addAll(List.of("-f", "docker/docker-compose.yml"));
      argv.addAll(extra);
      argv.addAll(List.of("config", "-q"));
      Process p = new ProcessBuilder(argv).directory(ROOT.toFile()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      // Then it accepts it
      assertThat(p.exitValue()).as("%s:%n%s", String.join(" ", argv), out).isZero();
      System.out.println("compose: " + String.join(" ", argv) + " -> exit 0" + (out.isBlank() ? "" : "\n" + out));
    }
  }

  private static Optional<List<String>> composeTool() {
    for (List<String> candidate : List.of(List.of("docker", "compose"), List.of("docker-compose"))) {
      List<String> version = new ArrayList<>(candidate);
      version.add("version");
      try {
        Process p = new ProcessBuilder(version).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
          return Optional.of(candidate);
        }
      } catch (IOException notInstalled) {
        // try the next one
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Map<String, Object>> services() {
    Map<String, Object> compose = new Yaml().load(read(COMPOSE));
    return (Map<String, Map<String, Object>>) compose.get("services");
  }

  /** The services that run the xmodal image (built from docker/Dockerfile). */
  private static Map<String, Map<String, Object>> xmodalServices() {
    return servicesWithImage("xmodal:");
  }

  private static Map<String, Map<String, Object>> servicesWithImage(String prefix) {
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    services().forEach((name, s) -> {
      if (image(s).startsWith(prefix)) {
        out.put(name, s);
      }
    });
    return out;
  }

  /** The image name, a {@code ${VAR:-default}} read as its default. */
  private static String image(Map<String, Object> service) {
    return defaults(String.valueOf(service.get("image")));
  }

  private static Map<String, String> env(Map<String, Object> service) {
    Map<String, String> out = new LinkedHashMap<>();
    map(service.get("environment")).forEach((k, v) -> out.put(k, defaults(String.valueOf(v))));
    return out;
  }

  /** The names and values the Dockerfile's ENV lines set, in every stage ({@code ENV A=1 \ B=2} included). */
  private static Map<String, String> dockerfileEnv() {
    Map<String, String> out = new LinkedHashMap<>();
    Matcher env = Pattern.compile("(?m)^ENV (.+)$").matcher(read(DOCKERFILE).replace("\\\n", " "));
    while (env.find()) {
      Matcher pair = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|\\S+)").matcher(env.group(1));
      while (pair.find()) {
        out.put(pair.group(1), pair.group(2));
      }
    }
    return out;
  }

  private static List<String> dockerfileLines() {
    return List.of(read(DOCKERFILE).replace("\\\n", " ").split("\n"));
  }

  private static String defaults(String value) {
    return DEFAULTED.matcher(value).replaceAll("$1");
  }

  private static String pomProperty(String name) {
    Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</").matcher(read(ROOT.resolve("pom.xml")));
    assertThat(m.find()).as("pom.xml property %s", name).isTrue();
    return m.group(1);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return o == null ? Map.of() : (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object o) {
    return o == null ? List.of() : (List<Object>) o;
  }

  private static List<String> strings(Object o) {
    return list(o).stream().map(String::valueOf).toList();
  }

  private static List<String> lines(Path file) {
    return List.of(read(file).split("\n"));
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
