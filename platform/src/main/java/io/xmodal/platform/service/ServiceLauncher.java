package io.xmodal.platform.service;

import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.streams.ServiceRunner;
import io.xmodal.platform.streams.StatusFile;
import io.xmodal.platform.topics.TopicCatalogue;
import java.time.Duration;

/** Runs one {@link ServiceDefinition} as its own process: what every deployable's {@code main} does. */
public final class ServiceLauncher {

  /**
   * The line a service run as a child process ({@code xmodal service NAME}) prints on stdout once it is RUNNING, and
   * that its parent waits for.
   */
  public static final String READY = "XMODAL-SERVICE-READY";

  private ServiceLauncher() {}

  /**
   * Against {@code KAFKA_BOOTSTRAP_SERVERS} and {@code XMODAL_REGISTRY_URL} (required): waits for them, creates the
   * topics unless {@code XMODAL_CREATE_TOPICS=false}, assembles the service, and runs it until SIGTERM/Ctrl-C. Its
   * status is kept in {@code <XMODAL_WORK_DIR>/status/<name>} ({@link StatusFile}), removed first.
   */
  public static <C> void runAlone(ServiceDefinition<C> definition) throws InterruptedException {
    runAlone(definition, () -> { });
  }

  /** As above, calling {@code onRunning} once, the first time the service is RUNNING. */
  public static <C> void runAlone(ServiceDefinition<C> definition, Runnable onRunning) throws InterruptedException {
    ConfigSource source = ConfigSource.fromEnvironment();
    PlatformConfig platform = PlatformConfig.from(source);
    StatusFile status = StatusFile.in(platform.workDir(), definition.name());
    status.clear();
    C config = definition.config(source, platform);
    TopicCatalogue topics = ServiceRunner.topics(source, platform);
    SharedResources shared = new SharedResources();
    // the assembly's resources (models) are closed by the stop, once the stream threads are gone
    ServiceAssembly assembly = definition.assemble(config, platform, topics, shared);
    ServiceRunner.runUntilShutdown(definition.name(), assembly.topology(), assembly.properties(),
        Duration.ofMinutes(2), status, onRunning, assembly);
  }
}
