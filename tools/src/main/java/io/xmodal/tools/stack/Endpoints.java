package io.xmodal.tools.stack;

import io.xmodal.platform.config.ConfigException;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.health.Dependencies;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;

/**
 * Where a running {@code ./xmodal up} serves, written to {@code <work>/endpoints.properties} while it runs, so
 * that other commands ({@code ingest}, …) find the embedded broker and registry without any setting.
 */
public record Endpoints(String bootstrapServers, String registryUrl) {

  /** How long a command gives the broker and the registry to answer before it says which one does not. */
  public static final Duration REACHABLE_WITHIN = Duration.ofSeconds(10);

  public static Path file(PlatformConfig config) {
    return config.workDir().resolve("endpoints.properties");
  }

  public void write(PlatformConfig config) {
    Properties p = new Properties();
    p.setProperty("bootstrap.servers", bootstrapServers);
    p.setProperty("registry.url", registryUrl);
    p.setProperty("pid", Long.toString(ProcessHandle.current().pid()));
    try {
      Files.createDirectories(config.workDir());
      try (Writer w = Files.newBufferedWriter(file(config))) {
        p.store(w, "written by ./xmodal up while it runs");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static void delete(PlatformConfig config) {
    try {
      Files.deleteIfExists(file(config));
    } catch (IOException e) {
      // stale file: the next reader checks the pid
    }
  }

  /**
   * The configured cluster if {@code KAFKA_BOOTSTRAP_SERVERS} is set (then {@code XMODAL_REGISTRY_URL} is required),
   * else the endpoints of a running {@code ./xmodal up}; checked to answer within a few seconds, so a command against
   * a broker or registry that is gone fails at once with where it looked and which setting names it.
   */
  public static PlatformConfig resolve(PlatformConfig config) {
    if (config.bootstrapServers().isPresent()) {
      config.requireRegistryUrl();
      return reachable(config, Dependencies.Advice.EXTERNAL);
    }
    Optional<Running> running = running(config);
    if (running.isPresent()) {
      Path logs = config.workDir().resolve("logs");
      long pid = running.get().pid();
      return reachable(running.get().config(),
          d -> "it is the one './xmodal up' (pid " + pid + ") started: see " + logs.resolve(d.embeddedLog()));
    }
    throw new ConfigException("no running xmodal found: start one with './xmodal up' (in another terminal), or set "
        + "KAFKA_BOOTSTRAP_SERVERS and XMODAL_REGISTRY_URL to a running cluster and registry");
  }

  /** A running {@code ./xmodal up}: its pid, and the config pointed at its endpoints. */
  public record Running(long pid, PlatformConfig config) {}

  /** The {@code ./xmodal up} running on this work directory, if any (no check that it answers). */
  public static Optional<Running> running(PlatformConfig config) {
    Path file = file(config);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    long pid = Long.parseLong(p.getProperty("pid", "-1"));
    if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      return Optional.empty();
    }
    return Optional.of(new Running(pid,
        config.withEndpoints(p.getProperty("bootstrap.servers"), p.getProperty("registry.url"))));
  }

  private static PlatformConfig reachable(PlatformConfig config, Dependencies.Advice advice) {
    Dependencies.Wait wait = Dependencies.Wait.upTo(REACHABLE_WITHIN).withAdvice(advice);
    try {
      Dependencies.awaitBroker(config.clientConfig(), wait);
      Dependencies.awaitRegistry(config.requireRegistryUrl(), wait);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking the broker and the registry", e);
    }
    return config;
  }
}
