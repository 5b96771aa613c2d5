package io.xmodal.app.cli;

import io.xmodal.client.dataset.DatasetException;
import io.xmodal.embedded.ChildProcess;
import io.xmodal.platform.config.ConfigException;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.health.Dependency;
import io.xmodal.platform.health.DependencyFailures;
import io.xmodal.platform.health.DependencyUnavailableException;
import io.xmodal.platform.process.Ports;
import io.xmodal.tools.stack.Endpoints;
import java.io.PrintWriter;
import java.util.Optional;

/**
 * What the CLI prints when a command fails: for what an operator can fix (a setting, a dataset, a port, a broker or
 * registry that does not answer, an embedded one that did not start) one line that says what and where, exit code 2,
 * no stack trace unless {@code XMODAL_DEBUG=true}; anything else with its stack trace, exit code 1.
 */
final class ErrorReport {

  /** Set to true for the stack trace of every error. */
  static final String DEBUG = "XMODAL_DEBUG";
  static final int USER_ERROR = 2;
  static final int BUG = 1;

  private final ConfigSource environment;

  ErrorReport(ConfigSource environment) {
    this.environment = environment;
  }

  int report(Exception e, PrintWriter err) {
    boolean debug = environment.bool(DEBUG, false);
    Optional<String> explained = explain(e);
    if (explained.isEmpty()) {
      err.println("error: " + e);
      e.printStackTrace(err);
      return BUG;
    }
    err.println("error: " + explained.get());
    if (debug) {
      e.printStackTrace(err);
    } else if (!(e instanceof ConfigException || e instanceof DatasetException || e instanceof Ports.PortInUseException)) {
      // (a setting, a dataset or a port says all there is to say)
      err.println("(" + DEBUG + "=true prints the stack trace)");
    }
    return USER_ERROR;
  }

  /** One line an operator can act on, if {@code e} is something they can fix. */
  Optional<String> explain(Exception e) {
    if (e instanceof ConfigException || e instanceof DatasetException || e instanceof Ports.PortInUseException
        || e instanceof DependencyUnavailableException) {
      return Optional.of(e.getMessage());
    }
    ChildProcess.StartFailedException child = find(e, ChildProcess.StartFailedException.class);
    if (child != null) {
      return Optional.of("the embedded " + child.getMessage());
    }
    DependencyUnavailableException known = find(e, DependencyUnavailableException.class);
    if (known != null) {
      return Optional.of(known.getMessage());
    }
    return DependencyFailures.classify(e).map(f -> new DependencyUnavailableException(f.dependency(),
        endpointOf(f.dependency()).orElse(null), f.reason(), advice(f.dependency())).getMessage());
  }

  /** Where the failing command was pointed: the setting, else a running './xmodal up'. */
  private Optional<String> endpointOf(Dependency dependency) {
    try {
      PlatformConfig config = PlatformConfig.from(environment);
      if (dependency == Dependency.BROKER && config.bootstrapServers().isPresent()) {
        return config.bootstrapServers();
      }
      if (dependency == Dependency.REGISTRY && config.registryUrl().isPresent()) {
        return config.registryUrl();
      }
      return Endpoints.running(config).map(Endpoints.Running::config).map(running ->
          dependency == Dependency.BROKER ? running.requireBootstrap() : running.requireRegistryUrl());
    } catch (RuntimeException notKnown) {
      return Optional.empty();
    }
  }

  private String advice(Dependency dependency) {
    boolean configured = dependency == Dependency.BROKER ? environment.get("KAFKA_BOOTSTRAP_SERVERS").isPresent()
        : environment.get(dependency.setting()).isPresent();
    return configured ? DependencyUnavailableException.externalAdvice(dependency)
        : "set " + dependency.setting() + " to a running one, or start xmodal with './xmodal up' (its "
            + dependency.label() + " logs to <XMODAL_WORK_DIR>/logs/" + dependency.embeddedLog() + ")";
  }

  private static <E extends Throwable> E find(Throwable e, Class<E> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }
}
