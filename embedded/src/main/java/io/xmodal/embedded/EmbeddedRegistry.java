package io.xmodal.embedded;

import io.xmodal.platform.config.EmbeddedSettings;
import io.xmodal.platform.process.ChildWatchdog;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Apicurio Registry server (from the Maven artifact {@code io.apicurio:apicurio-registry-app:…:all:zip}) in a
 * child JVM, bound to the configured host, its H2 database in a file under {@code dir} so a restart keeps every
 * schema id. It serves {@code /apis/registry/v2} and the Confluent-compatible {@code /apis/ccompat/v7}. A global
 * BACKWARD compatibility rule is set, so an incompatible schema change is refused by the registry too.
 */
public final class EmbeddedRegistry implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedRegistry.class);
  public static final String DIST_SETTING = "XMODAL_REGISTRY_DIST";

  private final ChildProcess process;
  private final String root;

  private EmbeddedRegistry(ChildProcess process, String root) {
    this.process = process;
    this.root = root;
  }

  /** Starts it; call {@link #awaitReady} before using it. {@code dist} is the unpacked Apicurio distribution. */
  public static EmbeddedRegistry start(EmbeddedSettings settings, Path dist, Path dir, Path logFile) {
    Path runner = runnerJar(dist);
    String classpath = ownCodeLocation() + File.pathSeparator + runner;
    String db = "jdbc:h2:file:" + dir.resolve("db").resolve("registry").toAbsolutePath();
    List<String> jvm = new ArrayList<>(settings.registry().jvmOptions());
    jvm.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Djava.awt.headless=true",
        "-Dquarkus.http.host=" + settings.bindHost(),
        "-Dquarkus.http.port=" + settings.registryPort(),
        "-Dquarkus.log.console.color=false",
        "-DREGISTRY_DATASOURCE_URL=" + db));
    ChildProcess child = ChildProcess.start("schema-registry", jvm, classpath, "io.quarkus.runner.GeneratedMain",
        List.of(), settings.registry().environment(), dir, logFile, line -> line.contains("Listening on:"));
    return new EmbeddedRegistry(child, "http://" + settings.bindHost() + ":" + settings.registryPort());
  }

  /** Where the build unpacked the distribution, unless {@code XMODAL_REGISTRY_DIST} says otherwise. */
  public static Path defaultDist(Optional<String> override) {
    if (override.isPresent()) {
      return Path.of(override.get());
    }
    Properties p = new Properties();
    try (InputStream in = EmbeddedRegistry.class.getResourceAsStream("/xmodal-embedded.properties")) {
      if (in == null) {
        throw new IllegalStateException("xmodal-embedded.properties is missing from the embedded jar; rebuild");
      }
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Path.of(p.getProperty("registry.dist"));
  }

  private static Path runnerJar(Path dist) {
    try (Stream<Path> files = Files.list(dist)) {
      return files.filter(f -> f.getFileName().toString().endsWith("-runner.jar")).findFirst()
          .orElseThrow(() -> new IllegalStateException("no *-runner.jar in " + dist));
    } catch (IOException e) {
      throw new IllegalStateException("the Apicurio registry distribution is not at " + dist + " (" + e.getMessage()
          + "); build the project ('./mvnw -DskipTests install') or set " + DIST_SETTING, e);
    }
  }

  private static String ownCodeLocation() {
    try {
      return Path.of(ChildWatchdog.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  public void awaitReady(Duration timeout) throws InterruptedException {
    process.awaitReady(timeout);
    enableBackwardCompatibilityRule();
  }

  private void enableBackwardCompatibilityRule() throws InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    try {
      HttpResponse<String> existing = http.send(HttpRequest.newBuilder(URI.create(apiUrl() + "/admin/rules"))
          .GET().build(), HttpResponse.BodyHandlers.ofString());
      if (existing.body().contains("COMPATIBILITY")) {
        return;
      }
      HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(apiUrl() + "/admin/rules"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"COMPATIBILITY\",\"config\":\"BACKWARD\"}"))
          .build(), HttpResponse.BodyHandlers.ofString());
      if (created.statusCode() / 100 != 2 && created.statusCode() != 409) {
        LOG.warn("could not set the registry's BACKWARD compatibility rule: HTTP {} {}", created.statusCode(),
            created.body());
      }
    } catch (IOException e) {
      LOG.warn("could not set the registry's BACKWARD compatibility rule: {}", e.getMessage());
    }
  }

  /** The server root, e.g. http://127.0.0.1:28081. */
  public String root() {
    return root;
  }

  /** The Apicurio v2 API, what the serdes use. */
  public String apiUrl() {
    return root + "/apis/registry/v2";
  }

  /** The Confluent-compatible API. */
  public String confluentUrl() {
    return root + "/apis/ccompat/v7";
  }

  public ChildProcess process() {
    return process;
  }

  @Override
  public void close() {
    process.stop(Duration.ofSeconds(20));
  }
}
