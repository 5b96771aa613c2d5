package io.xmodal.platform.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What every xmodal service shares: where Kafka and the registry are, how topics look, where state lives.
 *
 * @param bootstrapServers  {@code KAFKA_BOOTSTRAP_SERVERS}; empty means "start the embedded broker"
 * @param kafkaClient       every other {@code KAFKA_…} variable, passed to all clients as-is
 * @param registryUrl       {@code XMODAL_REGISTRY_URL}, the Apicurio base URL (…/apis/registry/v2); empty means embedded
 * @param registryAuth      {@code XMODAL_REGISTRY_USER} and {@code XMODAL_REGISTRY_PASSWORD}: HTTP basic credentials
 *                          the serdes send to the registry; empty sends none
 * @param topics            topic names and sizes
 * @param embedded          ports and heaps of the embedded broker and registry
 * @param workDir           {@code XMODAL_WORK_DIR}: broker data, registry database, streams state, logs
 * @param sharedDir         {@code XMODAL_SHARED_DIR}: datasets and models (read-only), default {@code ../shared}
 * @param metricsInterval   {@code XMODAL_METRICS_INTERVAL}: how often services publish metric events
 * @param rocksDbMemory     {@code XMODAL_ROCKSDB_MEMORY} (default 64m): the one block cache, memtables included, that
 *                          all RocksDB state stores of a JVM share
 */
public record PlatformConfig(Optional<String> bootstrapServers, Map<String, String> kafkaClient,
                             Optional<String> registryUrl, Optional<Credentials> registryAuth, TopicSettings topics,
                             EmbeddedSettings embedded, Path workDir, Path sharedDir, Duration metricsInterval,
                             ByteSize rocksDbMemory) {

  public static final String REGISTRY_USER = "XMODAL_REGISTRY_USER";
  public static final String REGISTRY_PASSWORD = "XMODAL_REGISTRY_PASSWORD";

  public PlatformConfig {
    kafkaClient = Map.copyOf(kafkaClient);
  }

  public static PlatformConfig from(ConfigSource source) {
    Map<String, String> client = new HashMap<>(source.kafkaClientSettings());
    Optional<String> bootstrap = Optional.ofNullable(client.remove("bootstrap.servers"));
    return new PlatformConfig(
        bootstrap,
        client,
        source.get("XMODAL_REGISTRY_URL").map(PlatformConfig::normaliseRegistryUrl),
        Credentials.from(source, REGISTRY_USER, REGISTRY_PASSWORD),
        TopicSettings.from(source),
        EmbeddedSettings.from(source),
        source.path("XMODAL_WORK_DIR", Path.of("work")).toAbsolutePath().normalize(),
        source.path("XMODAL_SHARED_DIR", Path.of(System.getProperty("xmodal.shared.dir", "../shared")))
            .toAbsolutePath().normalize(),
        source.duration("XMODAL_METRICS_INTERVAL", Duration.ofSeconds(10)),
        source.byteSize("XMODAL_ROCKSDB_MEMORY", ByteSize.parse("64m")));
  }

  /** The same config pointed at running endpoints (what the launcher does after starting the embedded ones). */
  public PlatformConfig withEndpoints(String bootstrap, String registry) {
    return new PlatformConfig(Optional.of(bootstrap), kafkaClient, Optional.of(normaliseRegistryUrl(registry)),
        registryAuth, topics, embedded, workDir, sharedDir, metricsInterval, rocksDbMemory);
  }

  /** As the record would print itself, with the secret Kafka settings ({@code sasl.jaas.config}, …) masked. */
  @Override
  public String toString() {
    return "PlatformConfig[bootstrapServers=" + bootstrapServers + ", kafkaClient=" + Secrets.masked(kafkaClient)
        + ", registryUrl=" + registryUrl + ", registryAuth=" + registryAuth + ", topics=" + topics + ", embedded="
        + embedded + ", workDir=" + workDir + ", sharedDir=" + sharedDir + ", metricsInterval=" + metricsInterval
        + ", rocksDbMemory=" + rocksDbMemory + "]";
  }

  public String requireBootstrap() {
    return bootstrapServers.orElseThrow(() -> new ConfigException(
        "KAFKA_BOOTSTRAP_SERVERS is not set: set it to your cluster (host:port,…), or run './xmodal up' "
            + "to start the embedded broker"));
  }

  /** Settings for a plain client (admin, producer, consumer): bootstrap servers plus every KAFKA_… setting. */
  public Map<String, Object> clientConfig() {
    Map<String, Object> c = new HashMap<>(kafkaClient);
    c.put("bootstrap.servers", requireBootstrap());
    return c;
  }

  /**
   * Settings for every plain producer xmodal ships (publisher, query client, mapping rollback, tools):
   * {@link #clientConfig()} plus requests and a buffer that hold the largest record ({@link
   * TopicSettings#producerBufferBytes()}).
   */
  public Map<String, Object> producerConfig() {
    Map<String, Object> c = clientConfig();
    c.put("max.request.size", topics.maxMessageBytes());
    c.put("buffer.memory", topics.producerBufferBytes());
    return c;
  }

  /**
   * Settings for every consumer xmodal ships (CLI, query client, demo, tools): {@link #clientConfig()} plus
   * {@code isolation.level=read_committed} (records of aborted or open transactions are never seen), no auto-commit,
   * and fetches as large as the largest record. External consumers must read committed too.
   */
  public Map<String, Object> consumerConfig() {
    Map<String, Object> c = clientConfig();
    c.put("isolation.level", "read_committed");
    c.put("enable.auto.commit", false);
    c.put("max.partition.fetch.bytes", topics.maxMessageBytes());
    return c;
  }

  public String requireRegistryUrl() {
    return registryUrl.orElseThrow(() -> new ConfigException(
        "XMODAL_REGISTRY_URL is not set: set it to your Apicurio registry (http://host:port/apis/registry/v2), "
            + "or run './xmodal up' to start the embedded registry"));
  }

  /** Accepts the server root, {@code …/apis/registry/v2} or {@code …/apis/ccompat/v7}; returns the v2 API URL. */
  static String normaliseRegistryUrl(String url) {
    String u = url.trim();
    int scheme = u.indexOf("://");
    int at = u.indexOf('@');
    int path = u.indexOf('/', scheme < 0 ? 0 : scheme + 3);
    if (at >= 0 && (path < 0 || at < path)) {
      throw new ConfigException("XMODAL_REGISTRY_URL holds credentials (…://user:password@host): put them in "
          + REGISTRY_USER + " and " + REGISTRY_PASSWORD + " instead, which are never logged");
    }
    while (u.endsWith("/")) {
      u = u.substring(0, u.length() - 1);
    }
    int apis = u.indexOf("/apis/");
    String root = apis >= 0 ? u.substring(0, apis) : u;
    return root + "/apis/registry/v2";
  }

  /** The registry's server root, for the Confluent-compatible API at {@code /apis/ccompat/v7}. */
  public String registryRoot() {
    String v2 = requireRegistryUrl();
    return v2.substring(0, v2.indexOf("/apis/"));
  }
}
