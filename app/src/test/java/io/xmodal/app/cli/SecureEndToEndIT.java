package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.read.ListAppender;
import ch.qos.logback.core.spi.FilterReply;
import io.xmodal.client.dataset.Dataset;
import io.xmodal.client.dataset.Flickr8k;
import io.xmodal.client.dataset.Split;
import io.xmodal.client.publish.DatasetPublisher;
import io.xmodal.embedded.EmbeddedRuntime;
import io.xmodal.ingest.IngestTestImages;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.Credentials;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.process.ListeningSockets;
import io.xmodal.platform.process.Ports;
import io.xmodal.platform.serde.RegistryAvroSerdes;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.ImageEvent;
import io.xmodal.tools.stack.Stack;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The pipeline on a broker that demands SASL and a registry that demands HTTP basic auth, configured only through
 * settings: the embedded broker with {@code XMODAL_EMBEDDED_SASL_USER}/{@code _PASSWORD} (SASL_PLAINTEXT,
 * SCRAM-SHA-256), the registry behind a basic-auth proxy, ingest as {@code xmodal service ingest} in a JVM of its
 * own given nothing but environment variables, encode-stream in this JVM from a {@link ConfigSource}. Every
 * secret is a fresh random string, looked for afterwards in every log line and output of every process involved.
 */
@Tag("e2e")
@Timeout(300)
class SecureEndToEndIT {

  private static final String SASL_USER = "xmodal-e2e";
  private static final String REGISTRY_USER = "registry-e2e";
  private static final int IMAGES = 4;

  @TempDir
  static Path work;

  private static final String saslPassword = "sasl-" + UUID.randomUUID();
  private static final String registryPassword = "registry-" + UUID.randomUUID();
  private static final String sslKeyPassword = "sslkey-" + UUID.randomUUID();
  private static final String wrongPassword = "wrong-" + UUID.randomUUID();

  private static final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private static volatile boolean quietConsole = true;
  private static final Filter<ILoggingEvent> consoleAsBefore = new Filter<>() {
    @Override
    public FilterReply decide(ILoggingEvent e) {
      boolean shownBefore = e.getLevel().isGreaterOrEqual(e.getLoggerName().startsWith("io.xmodal") ? Level.INFO
          : Level.WARN);
      return !quietConsole || shownBefore ? FilterReply.NEUTRAL : FilterReply.DENY;
    }
  };
  private static final Map<String, Level> levelsBefore = new HashMap<>();
  private static EmbeddedRuntime runtime;
  private static BasicAuthProxy registryProxy;
  private static Stack encode;
  private static Dataset sent;
  private static String ingestOutput;
  private static String publisherOutput;
  private static final Set<String> cleanImages = new HashSet<>();
  private static final Set<String> cleanCaptions = new HashSet<>();
  private static final Set<String> imageEmbeddings = new HashSet<>();
  private static final Set<String> textEmbeddings = new HashSet<>();
  private static Throwable wrongKafkaPassword;
  private static Throwable plaintextClient;
  private static Throwable plaintextControllerClient;
  private static Throwable wrongRegistryPassword;
  private static Throwable noRegistryCredentials;
  private static int refusedWithoutCredentials;
  private static List<ListeningSockets.Socket> brokerSockets;

  @BeforeAll
  @Timeout(300)
  static void runThePipelineWithCredentialsOnly() throws Exception {
    captureEveryLogLine();
    // Given the embedded broker with a SASL user, and the registry behind basic auth
    int brokerPort = Ports.freePort();
    int controllerPort = Ports.freePort();
    Map<String, String> runtimeSettings = new HashMap<>(kafkaSecurity(saslPassword));
    runtimeSettings.putAll(Map.of(
        "XMODAL_WORK_DIR", work.resolve("runtime").toString(),
        "XMODAL_BROKER_PORT", Integer.toString(brokerPort),
        "XMODAL_CONTROLLER_PORT", Integer.toString(controllerPort),
        "XMODAL_REGISTRY_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_EMBEDDED_SASL_USER", SASL_USER,
        "XMODAL_EMBEDDED_SASL_PASSWORD", saslPassword));
    runtime = EmbeddedRuntime.start(PlatformConfig.from(ConfigSource.of(runtimeSettings)), Optional.empty(),
        Duration.ofMinutes(2));
    if (ListeningSockets.supported()) {
      brokerSockets = ListeningSockets.of(runtime.broker().process().pid());
    }
    registryProxy = BasicAuthProxy.start(runtime.registry().root(), new Credentials(REGISTRY_USER, registryPassword));

    // and ingest as its own service, given nothing but environment variables
    Map<String, String> env = new HashMap<>(clientSettings(saslPassword, registryPassword));
    env.put("XMODAL_WORK_DIR", work.resolve("ingest").toString());
    env.put("XMODAL_METRICS_INTERVAL", "1s");
    Files.createDirectories(work.resolve("ingest"));
    try (JavaProcess ingest = JavaProcess.start(List.of("-Xmx256m", "-Dlogback.configurationFile=logback-secrets.xml"),
        XmodalCli.class, List.of("service", "ingest"), env, work.resolve("ingest"), "ingest is running")) {
      if (!ingest.awaitLine(Duration.ofMinutes(2))) {
        throw new AssertionError("service ingest did not start:\n" + ingest.output());
      }
      // and encode-stream in this JVM, from a ConfigSource holding the same kind of settings
      Map<String, String> encodeSettings = SingleEncoders.with(clientSettings(saslPassword, registryPassword));
      encodeSettings.put("XMODAL_WORK_DIR", work.resolve("encode").toString());
      encodeSettings.put("XMODAL_SHARED_DIR", IngestTestImages.sharedDir().toString());
      encodeSettings.put("XMODAL_METRICS_INTERVAL", "1s");
      encode = Stack.start(ConfigSource.of(encodeSettings), Set.of(Stack.Service.ENCODE));

      // When a few Flickr8k images and their captions are published with the same credentials
      sent = Flickr8k.load(IngestTestImages.flickr8k(), Split.DEV, IMAGES);
      ByteArrayOutputStream progress = new ByteArrayOutputStream();
      new DatasetPublisher(encode.config(), encode.topics())
          .publish(sent, new PrintStream(progress, true, StandardCharsets.UTF_8));
      publisherOutput = progress.toString(StandardCharsets.UTF_8);
      awaitCleanAndEncoded(encode.config(), encode.topics(), Duration.ofMinutes(3));
      ingestOutput = ingest.stop(Duration.ofSeconds(60));
    }

    // and clients try with a wrong Kafka password, a wrong registry password and no registry credentials
    wrongKafkaPassword = failureOf(() -> {
      try (Admin admin = Admin.create(config(clientSettings(wrongPassword, registryPassword)).clientConfig())) {
        admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS);
      }
    });
    Map<String, Object> plaintext = Map.of("bootstrap.servers", runtime.bootstrapServers());
    Map<String, Object> plaintextController = Map.of("bootstrap.controllers", "127.0.0.1:" + controllerPort);
    try (Admin broker = Admin.create(plaintext); Admin controller = Admin.create(plaintextController)) {
      var toBroker = broker.describeCluster(new DescribeClusterOptions().timeoutMs(5000)).clusterId();
      var toController = controller.describeCluster(new DescribeClusterOptions().timeoutMs(5000)).clusterId();
      plaintextClient = failureOf(() -> toBroker.get(30, TimeUnit.SECONDS));
      plaintextControllerClient = failureOf(() -> toController.get(30, TimeUnit.SECONDS));
    }
    wrongRegistryPassword = failureOf(() -> serialize(config(clientSettings(saslPassword, wrongPassword))));
    Map<String, String> anonymous = new HashMap<>(clientSettings(saslPassword, registryPassword));
    anonymous.remove("XMODAL_REGISTRY_USER");
    anonymous.remove("XMODAL_REGISTRY_PASSWORD");
    int refusedBefore = registryProxy.refused();
    noRegistryCredentials = failureOf(() -> serialize(config(anonymous)));
    refusedWithoutCredentials = registryProxy.refused() - refusedBefore;
  }

  @AfterAll
  static void stopEverything() {
    if (encode != null) {
      encode.close();
    }
    if (registryProxy != null) {
      registryProxy.close();
    }
    if (runtime != null) {
      runtime.close();
    }
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(logs);
    levelsBefore.forEach((name, level) -> context.getLogger(name).setLevel(level));
    quietConsole = false;
  }

  @Test
  void shouldCarryEveryRecordToTheCleanTopicsAndTheEmbeddingsOverSasl() {
    Set<String> images = sent.images().stream().map(Dataset.Image::imageId).collect(Collectors.toSet());
    Set<String> captions = sent.captions().stream().map(Dataset.Caption::captionId).collect(Collectors.toSet());

    assertThat(cleanImages).isEqualTo(images);
    assertThat(cleanCaptions).isEqualTo(captions);
    assertThat(imageEmbeddings).isEqualTo(images);
    assertThat(textEmbeddings).isEqualTo(captions);
    // every registry request of the services and the publisher carried the right credentials
    assertThat(registryProxy.allowed()).isPositive();
  }

  @Test
  void shouldOpenOnlyTheSaslListenerAndTheControllerOnLoopback() {
    assumeTrue(brokerSockets != null, "reads the sockets from Linux /proc");
    assertThat(brokerSockets).hasSize(2).allMatch(ListeningSockets.Socket::isLoopback);
    assertThat(runtime.bootstrapServers()).startsWith("127.0.0.1:");
  }

  @Test
  void shouldRefuseAKafkaClientWithAWrongPassword() {
    assertThat(wrongKafkaPassword).isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(SaslAuthenticationException.class);
  }

  @Test
  void shouldLetNoClientWithoutSaslReachTheBrokerOrItsController() {
    assertThat(plaintextClient).as("PLAINTEXT client of the broker").isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(TimeoutException.class);
    assertThat(plaintextControllerClient).as("PLAINTEXT client of the controller")
        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TimeoutException.class);
  }

  @Test
  void shouldRefuseARegistryClientWithAWrongPasswordOrNone() {
    assertThat(wrongRegistryPassword).as("wrong password").isNotNull();
    assertThat(noRegistryCredentials).as("no credentials").isNotNull();
    assertThat(refusedWithoutCredentials).isPositive();
  }

  @Test
  void shouldKeepTheBrokersSecretsInOwnerOnlyFilesAndTheUsersPasswordInNone() throws IOException {
    Path kafka = work.resolve("runtime").resolve("kafka");

    assertThat(kafka.resolve("sasl-users.properties")).doesNotExist();
    assertThat(Files.getPosixFilePermissions(kafka.resolve("server.properties")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.readString(kafka.resolve("server.properties"))).doesNotContain(saslPassword);
  }

  @Test
  void shouldNeverShowASecretInALogLineAnOutputOrAChildsCommandLine() throws IOException {
    List<String> secrets = List.of(saslPassword, registryPassword, sslKeyPassword, wrongPassword,
        base64(REGISTRY_USER + ":" + registryPassword), base64(REGISTRY_USER + ":" + wrongPassword),
        internalBrokerPassword());
    Map<String, String> places = new LinkedHashMap<>();
    places.put("service ingest stdout+stderr", ingestOutput);
    places.put("publisher progress", publisherOutput);
    places.put("this JVM's log", logText());
    try (Stream<Path> files = Files.walk(work)) {
      // log files, not Kafka's segment files, which end in .log too
      for (Path log : files.filter(f -> f.getParent().getFileName().toString().equals("logs")).toList()) {
        places.put(work.relativize(log).toString(), Files.readString(log));
      }
    }
    for (var child : List.of(runtime.broker().process(), runtime.registry().process())) {
      places.put("command line of " + child.logFile().getFileName(), procFile(child.pid(), "cmdline"));
      places.put("environment of " + child.logFile().getFileName(), procFile(child.pid(), "environ"));
    }

    // the logs really hold the clients' configuration dumps (with Kafka's own mask) and the service's start
    assertThat(ingestOutput).contains("ingest is running").contains("sasl.jaas.config = [hidden]");
    assertThat(places.get("this JVM's log")).contains("sasl.jaas.config = [hidden]");
    assertThat(places).containsKeys("runtime/logs/broker.log", "runtime/logs/registry.log");
    places.forEach((where, text) -> {
      for (String secret : secrets) {
        assertThat(text).as("%s must not hold a secret", where).doesNotContain(secret);
      }
    });
  }

  // --- the scenario's parts

  private static Map<String, String> kafkaSecurity(String password) {
    return Map.of(
        "KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT",
        "KAFKA_SASL_MECHANISM", "SCRAM-SHA-256",
        "KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
            + SASL_USER + "\" password=\"" + password + "\";",
        // set but unused with SASL_PLAINTEXT: must be masked all the same
        "KAFKA_SSL_KEY_PASSWORD", sslKeyPassword);
  }

  private static Map<String, String> clientSettings(String kafkaPassword, String registryPass) {
    Map<String, String> s = new HashMap<>(kafkaSecurity(kafkaPassword));
    s.put("KAFKA_BOOTSTRAP_SERVERS", runtime.bootstrapServers());
    s.put("XMODAL_REGISTRY_URL", registryProxy.root());
    s.put("XMODAL_REGISTRY_USER", REGISTRY_USER);
    s.put("XMODAL_REGISTRY_PASSWORD", registryPass);
    return s;
  }

  private static PlatformConfig config(Map<String, String> settings) {
    return PlatformConfig.from(ConfigSource.of(settings));
  }

  private static void serialize(PlatformConfig config) {
    TopicCatalogue topics = TopicCatalogue.create(config.topics(), RegistryAvroSerdes.of(config));
    ImageEvent event = ImageEvent.newBuilder().setImageId("x").setBytes(ByteBuffer.wrap(new byte[] {1}))
        .setSource("e2e").setProducedAt(Instant.now()).build();
    topics.imagesRaw().valueSerde().serializer().serialize(topics.imagesRaw().name(), event);
  }

  /** Reads the clean topics and the embeddings, committed records only, until every id sent is on each. */
  private static void awaitCleanAndEncoded(PlatformConfig config, TopicCatalogue topics, Duration timeout) {
    Map<String, Object> props = new HashMap<>(config.clientConfig());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "secure-e2e");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    Map<String, Set<String>> seen = Map.of(topics.images().name(), cleanImages, topics.captions().name(),
        cleanCaptions, topics.imageEmbeddings().name(), imageEmbeddings, topics.textEmbeddings().name(),
        textEmbeddings);
    int captions = sent.captions().size();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
        new ByteArrayDeserializer())) {
      consumer.subscribe(List.copyOf(seen.keySet()));
      long deadline = System.nanoTime() + timeout.toNanos();
      while ((cleanImages.size() < IMAGES || cleanCaptions.size() < captions || imageEmbeddings.size() < IMAGES
          || textEmbeddings.size() < captions) && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          seen.get(r.topic()).add(r.key());
        }
      }
    }
  }

  private interface Action {
    void run() throws Exception;
  }

  private static Throwable failureOf(Action action) {
    try {
      action.run();
      return null;
    } catch (Exception e) {
      return e;
    }
  }

  // --- where secrets could show

  private static void captureEveryLogLine() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    logs.setContext(context);
    logs.start();
    ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    // the console keeps showing what it showed before: xmodal's INFO, everyone's WARN
    root.iteratorForAppenders().forEachRemaining(a -> a.addFilter(consoleAsBefore));
    root.addAppender(logs);
    // the clients' configuration dumps are INFO; the SASL handshakes DEBUG
    Map<String, Level> levels = Map.of("org.apache.kafka", Level.INFO, "org.apache.kafka.common.security", Level.DEBUG,
        "io.apicurio", Level.DEBUG, "io.xmodal", Level.DEBUG);
    levels.forEach((name, level) -> {
      ch.qos.logback.classic.Logger logger = context.getLogger(name);
      levelsBefore.put(name, logger.getLevel());
      logger.setLevel(level);
    });
  }

  private static String logText() {
    List<ILoggingEvent> events;
    synchronized (logs) {
      events = new ArrayList<>(logs.list);
    }
    StringBuilder sb = new StringBuilder();
    for (ILoggingEvent e : events) {
      sb.append(e.getLevel()).append(' ').append(e.getLoggerName()).append(" - ").append(e.getFormattedMessage())
          .append('\n');
      if (e.getThrowableProxy() != null) {
        sb.append(ThrowableProxyUtil.asString(e.getThrowableProxy())).append('\n');
      }
    }
    return sb.toString();
  }

  private static String procFile(long pid, String name) throws IOException {
    Path file = Path.of("/proc", Long.toString(pid), name);
    return Files.isReadable(file) ? new String(Files.readAllBytes(file), StandardCharsets.UTF_8).replace('\0', ' ')
        : "";
  }

  /** The broker's own PLAIN password, drawn at random on start; it must not show either. */
  private static String internalBrokerPassword() throws IOException {
    java.util.Properties server = new java.util.Properties();
    try (var in = Files.newBufferedReader(work.resolve("runtime").resolve("kafka").resolve("server.properties"))) {
      server.load(in);
    }
    Matcher m = Pattern.compile("password=\"([^\"]+)\"")
        .matcher(server.getProperty("listener.name.controller.plain.sasl.jaas.config", ""));
    assertThat(m.find()).as("the internal password in server.properties").isTrue();
    return m.group(1);
  }

  private static String base64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
