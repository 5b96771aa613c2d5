package io.xmodal.platform.streams;

import io.xmodal.platform.health.Dependencies;
import io.xmodal.platform.health.Dependency;
import io.xmodal.platform.health.DependencyUnavailableException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * How a running service asks whether the broker and the registry answer and whether its source topics exist: one
 * admin client and one HTTP client of its own, made on first use, with the service's client settings.
 */
final class DependencyProbe implements AutoCloseable {

  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);

  private final Map<String, Object> adminConfig;
  private final String bootstrap;
  private final String registryUrl;
  private final Set<String> sourceTopics;
  private Admin admin;
  private HttpClient http;

  DependencyProbe(Properties properties, Set<String> sourceTopics) {
    this.adminConfig = adminConfig(properties);
    this.bootstrap = String.valueOf(properties.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG));
    this.registryUrl = properties.get(DeadLetterRoute.CONFIG) instanceof DeadLetterRoute route
        ? route.registryUrl().orElse(null) : null;
    this.sourceTopics = sourceTopics;
  }

  /** Whether the service uses a registry at all (one without dead letters through it does not). */
  boolean hasRegistry() {
    return registryUrl != null;
  }

  /** Empty when {@code dependency} answers; otherwise why not. */
  Optional<String> probe(Dependency dependency) throws InterruptedException {
    try {
      return switch (dependency) {
        case BROKER -> Dependencies.probeBroker(admin(), PROBE_TIMEOUT);
        case REGISTRY -> registryUrl == null ? Optional.empty()
            : Dependencies.probeRegistry(http(), registryUrl, PROBE_TIMEOUT);
      };
    } catch (DependencyUnavailableException e) {
      return Optional.of(e.reason());
    }
  }

  String endpointOf(Dependency dependency) {
    return dependency == Dependency.BROKER ? bootstrap : registryUrl;
  }

  /** The topology's source topics the broker does not have (all of them if it cannot say). */
  Set<String> missingSourceTopics() throws InterruptedException {
    try {
      return Dependencies.missingTopics(admin(), sourceTopics, PROBE_TIMEOUT);
    } catch (Exception e) {
      if (e instanceof InterruptedException ie) {
        throw ie;
      }
      return sourceTopics;
    }
  }

  private synchronized Admin admin() {
    if (admin == null) {
      admin = Dependencies.brokerAdmin(adminConfig);
    }
    return admin;
  }

  private synchronized HttpClient http() {
    if (http == null) {
      http = Dependencies.registryClient();
    }
    return http;
  }

  private static Map<String, Object> adminConfig(Properties properties) {
    Map<String, Object> config = new HashMap<>();
    for (String key : AdminClientConfig.configNames()) {
      if (properties.containsKey(key)) {
        config.put(key, properties.get(key));
      }
    }
    return config;
  }

  @Override
  public synchronized void close() {
    if (admin != null) {
      admin.close(Duration.ofSeconds(5));
    }
  }
}
