package io.xmodal.embedded;

import io.xmodal.platform.config.Credentials;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialDeletion;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.admin.UserScramCredentialsDescription;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One KRaft Kafka node (broker and controller in one process), run in a child JVM by {@link EmbeddedBroker}.
 * Formats its storage on first start (with the cluster id in the system property {@code xmodal.kafka.cluster.id},
 * which every node of a cluster shares, or a random one), reuses it afterwards; prints {@link #READY} once it serves
 * clients (a node of a cluster: once the quorum has elected a controller and this broker is unfenced).
 *
 * <p>{@code BrokerMain <server.properties> [<sasl-users.properties>]}: with the second file (written by
 * {@link EmbeddedBroker}, read and deleted at once), it stores that user's SCRAM-SHA-256 credential in the cluster
 * metadata on every start, so a changed password or user takes effect on restart, removes any other SCRAM user,
 * and is ready only once that user can log in.
 */
public final class BrokerMain {

  public static final String READY = "XMODAL-BROKER-READY";
  private static final Logger LOG = LoggerFactory.getLogger(BrokerMain.class);
  private static final int SCRAM_ITERATIONS = 8192;

  private BrokerMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1 || args.length > 2) {
      throw new IllegalArgumentException("usage: BrokerMain <server.properties> [<sasl-users.properties>]");
    }
    Properties props = read(Path.of(args[0]));
    Properties users = null;
    if (args.length == 2) {
      users = read(Path.of(args[1]));
      Files.delete(Path.of(args[1]));
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
    if (users != null) {
      String bootstrap = props.getProperty("advertised.listeners").replaceFirst("^[A-Z_]+://", "");
      storeScramUser(bootstrap, new Credentials(users.getProperty("user"), users.getProperty("password")),
          new Credentials(users.getProperty("internal.user"), users.getProperty("internal.password")));
    }
    System.out.println(READY + " " + props.getProperty("advertised.listeners"));
    System.out.flush();
    server.awaitShutdown();
  }

  /** What {@link EmbeddedBroker} hands over in the second file: the SCRAM user and the internal PLAIN user. */
  static Properties saslUsers(Credentials user, Credentials internal) {
    Properties p = new Properties();
    p.setProperty("user", user.user());
    p.setProperty("password", user.password());
    p.setProperty("internal.user", internal.user());
    p.setProperty("internal.password", internal.password());
    return p;
  }

  private static Properties read(Path file) throws IOException {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    }
    return p;
  }

  /** Upserts the user's credential (as the internal user), deletes every other SCRAM user, waits until it logs in. */
  private static void storeScramUser(String bootstrap, Credentials user, Credentials internal) throws Exception {
    try (Admin admin = Admin.create(saslClient(bootstrap, "PLAIN",
        "org.apache.kafka.common.security.plain.PlainLoginModule", internal))) {
      List<UserScramCredentialAlteration> changes = new ArrayList<>();
      Map<String, UserScramCredentialsDescription> existing = admin.describeUserScramCredentials().all()
          .get(30, TimeUnit.SECONDS);
      existing.forEach((name, description) -> {
        if (!name.equals(user.user())) {
          description.credentialInfos().forEach(info ->
              changes.add(new UserScramCredentialDeletion(name, info.mechanism())));
        }
      });
      changes.add(new UserScramCredentialUpsertion(user.user(),
          new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, SCRAM_ITERATIONS), user.password()));
      admin.alterUserScramCredentials(changes).all().get(30, TimeUnit.SECONDS);
      LOG.info("SCRAM-SHA-256 credential of user {} stored; {} other SCRAM user(s) removed", user.user(),
          changes.size() - 1);
    }
    awaitLogin(bootstrap, user, Duration.ofSeconds(30));
  }

  /** The credential reaches the broker's metadata cache a moment after the controller commits it. */
  private static void awaitLogin(String bootstrap, Credentials user, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try (Admin admin = Admin.create(saslClient(bootstrap, EmbeddedBroker.SASL_MECHANISM,
          "org.apache.kafka.common.security.scram.ScramLoginModule", user))) {
        admin.describeCluster().clusterId().get(10, TimeUnit.SECONDS);
        return;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof SaslAuthenticationException) || System.nanoTime() > deadline) {
          throw e;
        }
      }
      Thread.sleep(100);
    }
  }

  private static Map<String, Object> saslClient(String bootstrap, String mechanism, String loginModule,
                                                Credentials credentials) {
    return Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        AdminClientConfig.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT",
        SaslConfigs.SASL_MECHANISM, mechanism,
        SaslConfigs.SASL_JAAS_CONFIG, loginModule + " required username=" + jaasQuoted(credentials.user())
            + " password=" + jaasQuoted(credentials.password()) + ";");
  }

  /** A JAAS option value in double quotes, its backslashes and quotes escaped. */
  static String jaasQuoted(String value) {
    return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static void format(Properties props, String logDir) throws Exception {
    Files.createDirectories(Path.of(logDir));
    new Formatter()
        .setPrintStream(System.out)
        .setClusterId(System.getProperty(EmbeddedBroker.CLUSTER_ID_PROPERTY, Uuid.randomUuid().toString()))
        .setNodeId(Integer.parseInt(props.getProperty("node.id")))
        .setControllerListenerName(props.getProperty("controller.listener.names"))
        .setMetadataLogDirectory(logDir)
        .setDirectories(List.of(logDir))
        .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
        .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
        .run();
  }
}
