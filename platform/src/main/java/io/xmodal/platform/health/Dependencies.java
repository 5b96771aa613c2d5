package io.xmodal.platform.health;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes for the broker and the registry, and waits for them: a service starts only once both answer, logging what it
 * waits for (which endpoint, which setting names it) every few seconds instead of failing or spinning.
 */
public final class Dependencies {

  private static final Logger LOG = LoggerFactory.getLogger(Dependencies.class);
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(3);

  private Dependencies() {}

  /**
   * How long to wait and how to report it.
   *
   * @param limit    give up (with a {@link DependencyUnavailableException}) after this long; {@code null}: never
   * @param logEvery how often a still-waiting line is logged
   * @param advice   what to tell the operator about each dependency (which setting, which log)
   * @param status   told "waiting for …" while waiting and "" once it answers (e.g. for {@code ./xmodal up})
   */
  public record Wait(Duration limit, Duration logEvery, Advice advice, Consumer<String> status) {

    /** Waits without a limit, a line every 10 s, external-endpoint advice. */
    public static Wait forever() {
      return new Wait(null, Duration.ofSeconds(10), Advice.EXTERNAL, s -> { });
    }

    public static Wait upTo(Duration limit) {
      return new Wait(limit, Duration.ofSeconds(10), Advice.EXTERNAL, s -> { });
    }

    public Wait withAdvice(Advice advice) {
      return new Wait(limit, logEvery, advice, status);
    }

    public Wait reportingTo(Consumer<String> status) {
      return new Wait(limit, logEvery, advice, status);
    }
  }

  /** What to say about an unreachable dependency. */
  @FunctionalInterface
  public interface Advice {
    String about(Dependency dependency);

    Advice EXTERNAL = DependencyUnavailableException::externalAdvice;
  }

  /** Empty if the broker answers a cluster description within the timeout; else why not. */
  public static Optional<String> probeBroker(Admin admin, Duration timeout) throws InterruptedException {
    try {
      admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis())).nodes()
          .get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
      return Optional.empty();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof TimeoutException) {
        return Optional.of("no answer within " + timeout.toSeconds() + " s");
      }
      return Optional.of(cause.getClass().getSimpleName() + ": " + cause.getMessage());
    } catch (java.util.concurrent.TimeoutException e) {
      return Optional.of("no answer within " + timeout.toSeconds() + " s");
    }
  }

  /**
   * Empty if the registry answers HTTP on its API within the timeout (any status below 500: it is up, even if it
   * wants credentials); else why not.
   */
  public static Optional<String> probeRegistry(HttpClient http, String apiUrl, Duration timeout)
      throws InterruptedException {
    try {
      HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(apiUrl + "/system/info"))
          .timeout(timeout).GET().build(), HttpResponse.BodyHandlers.discarding());
      return response.statusCode() < 500 ? Optional.empty() : Optional.of("HTTP " + response.statusCode());
    } catch (HttpConnectTimeoutException e) {
      return Optional.of("connect timed out");
    } catch (HttpTimeoutException e) {
      return Optional.of("no answer within " + timeout.toSeconds() + " s");
    } catch (ConnectException e) {
      return Optional.of(e.getCause() instanceof UnresolvedAddressException
          ? "unknown host" : "connection refused");
    } catch (UnknownHostException e) {
      return Optional.of("unknown host");
    } catch (IOException | IllegalArgumentException e) {
      return Optional.of(e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
    }
  }

  /** A client for {@link #probeRegistry}: connects within the probe timeout. */
  public static HttpClient registryClient() {
    return HttpClient.newBuilder().connectTimeout(PROBE_TIMEOUT).build();
  }

  /** An admin client for {@link #probeBroker}; throws a {@link DependencyUnavailableException} if no address resolves. */
  public static Admin brokerAdmin(Map<String, Object> clientConfig) {
    Map<String, Object> c = new HashMap<>(clientConfig);
    c.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) PROBE_TIMEOUT.toMillis());
    c.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) PROBE_TIMEOUT.toMillis());
    c.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "xmodal-dependency-probe");
    try {
      return Admin.create(c);
    } catch (KafkaException e) {
      throw new DependencyUnavailableException(Dependency.BROKER, String.valueOf(clientConfig.get("bootstrap.servers")),
          "no bootstrap address resolves", DependencyUnavailableException.externalAdvice(Dependency.BROKER));
    }
  }

  /** Blocks until the broker answers. */
  public static void awaitBroker(Map<String, Object> clientConfig, Wait wait) throws InterruptedException {
    String endpoint = String.valueOf(clientConfig.get("bootstrap.servers"));
    try (Admin admin = brokerAdmin(clientConfig)) {
      await(Dependency.BROKER, endpoint, wait, () -> probeBroker(admin, PROBE_TIMEOUT));
    }
  }

  /** Blocks until the registry answers. */
  public static void awaitRegistry(String apiUrl, Wait wait) throws InterruptedException {
    HttpClient http = registryClient();
    await(Dependency.REGISTRY, apiUrl, wait, () -> probeRegistry(http, apiUrl, PROBE_TIMEOUT));
  }

  /** The names among {@code topics} the broker does not have. */
  public static Set<String> missingTopics(Admin admin, Collection<String> topics, Duration timeout)
      throws InterruptedException, ExecutionException, java.util.concurrent.TimeoutException {
    Set<String> existing = admin.listTopics(new ListTopicsOptions().timeoutMs((int) timeout.toMillis())).names()
        .get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    Set<String> missing = new TreeSet<>(topics);
    missing.removeAll(existing);
    return missing;
  }

  /** Blocks until every topic in {@code topics} exists; {@code howToCreate} says what creates them. */
  public static void awaitTopics(Map<String, Object> clientConfig, Collection<String> topics, String howToCreate,
                                 Wait wait) throws InterruptedException {
    try (Admin admin = brokerAdmin(clientConfig)) {
      long t0 = System.nanoTime();
      long nextLog = 0;
      Duration pause = Duration.ofMillis(500);
      while (true) {
        Set<String> missing;
        try {
          missing = missingTopics(admin, topics, PROBE_TIMEOUT);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
          missing = new TreeSet<>(topics);
        }
        if (missing.isEmpty()) {
          if (nextLog > 0) {
            LOG.info("the topics are there after {} s", seconds(t0));
            wait.status().accept("");
          }
          return;
        }
        long waited = System.nanoTime() - t0;
        if (waited >= nextLog) {
          String line = "waiting for topics " + String.join(", ", missing) + " (" + howToCreate + ")";
          LOG.warn("{}; {} s so far", line, seconds(t0));
          wait.status().accept(line);
          nextLog = waited + wait.logEvery().toNanos();
        }
        if (wait.limit() != null && waited >= wait.limit().toNanos()) {
          throw new IllegalStateException("topics " + String.join(", ", missing) + " do not exist; " + howToCreate);
        }
        Thread.sleep(pause.toMillis());
        pause = min(pause.multipliedBy(2), Duration.ofSeconds(5));
      }
    }
  }

  @FunctionalInterface
  private interface Probe {
    Optional<String> attempt() throws InterruptedException;
  }

  private static void await(Dependency dependency, String endpoint, Wait wait, Probe probe)
      throws InterruptedException {
    long t0 = System.nanoTime();
    long nextLog = 0;
    Duration pause = Duration.ofMillis(250);
    String advice = wait.advice().about(dependency);
    while (true) {
      Optional<String> failure = probe.attempt();
      if (failure.isEmpty()) {
        if (nextLog > 0) {
          LOG.info("the {} at {} answers after {} s", dependency.label(), endpoint, seconds(t0));
          wait.status().accept("");
        }
        return;
      }
      long waited = System.nanoTime() - t0;
      if (wait.limit() != null && waited >= wait.limit().toNanos()) {
        throw new DependencyUnavailableException(dependency, endpoint, failure.get(), advice);
      }
      if (waited >= nextLog) {
        String line = "waiting for the " + dependency.label() + " at " + endpoint + " (" + failure.get() + "; "
            + advice + ")";
        LOG.warn("{}; {} s so far", line, seconds(t0));
        wait.status().accept(line);
        nextLog = waited + wait.logEvery().toNanos();
      }
      Thread.sleep(pause.toMillis());
      // probe at most every 2 s: a dependency that comes back is noticed quickly, and a dead one costs nothing
      pause = min(pause.multipliedBy(2), Duration.ofSeconds(2));
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static long seconds(long t0) {
    return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
  }
}
