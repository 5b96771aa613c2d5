package io.xmodal.app.cli;

import io.xmodal.platform.config.ConfigException;
import io.xmodal.platform.config.PlatformConfig;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Where a running {@code ./xmodal up} serves, written to {@code <work>/endpoints.properties} while it runs, so
 * that other commands ({@code ingest}, …) find the embedded broker and registry without any setting.
 */
record Endpoints(String bootstrapServers, String registryUrl) {

  static Path file(PlatformConfig config) {
    return config.workDir().resolve("endpoints.properties");
  }

  void write(PlatformConfig config) {
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

  static void delete(PlatformConfig config) {
    try {
      Files.deleteIfExists(file(config));
    } catch (IOException e) {
      // stale file: the next reader checks the pid
    }
  }

  /**
   * The configured cluster if {@code KAFKA_BOOTSTRAP_SERVERS} is set (then {@code XMODAL_REGISTRY_URL} is required),
   * else the endpoints of a running {@code ./xmodal up}.
   */
  static PlatformConfig resolve(PlatformConfig config) {
    if (config.bootstrapServers().isPresent()) {
      config.requireRegistryUrl();
      return config;
    }
    Path file = file(config);
    if (Files.isRegularFile(file)) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(file)) {
        p.load(r);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      long pid = Long.parseLong(p.getProperty("pid", "-1"));
      if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
        return config.withEndpoints(p.getProperty("bootstrap.servers"), p.getProperty("registry.url"));
      }
    }
    throw new ConfigException("no running xmodal found: start one with './xmodal up' (in another terminal), or set "
        + "KAFKA_BOOTSTRAP_SERVERS and XMODAL_REGISTRY_URL to a running cluster and registry");
  }
}
