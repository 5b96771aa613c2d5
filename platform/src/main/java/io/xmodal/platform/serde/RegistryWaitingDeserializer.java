package io.xmodal.platform.serde;

import io.xmodal.platform.health.Dependencies;
import io.xmodal.platform.health.DependencyFailures;
import io.xmodal.platform.logging.LogLimiter;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Deserialises with the registry's deserializer; when the registry cannot be reached to look up a schema id it has
 * not cached, waits for it (probing every second, at most {@code maxWait}) and tries again, so an outage shorter
 * than that only delays the record. A stream thread waiting here keeps its partitions and its group membership (a
 * replaced thread costs a rebalance that waits out the session timeout); past {@code maxWait} the failure goes to the
 * deserialization handler, which fails the thread without a dead letter.
 */
final class RegistryWaitingDeserializer implements Deserializer<Object> {

  private static final Logger LOG = LoggerFactory.getLogger(RegistryWaitingDeserializer.class);
  private static final Duration PROBE_EVERY = Duration.ofSeconds(1);

  private final Deserializer<?> inner;
  private final String registryUrl;
  private final Duration maxWait;
  private final LogLimiter limiter;
  private HttpClient http;

  RegistryWaitingDeserializer(Deserializer<?> inner, String registryUrl, Duration maxWait, LogLimiter limiter) {
    this.inner = inner;
    this.registryUrl = registryUrl;
    this.maxWait = maxWait;
    this.limiter = limiter;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    inner.configure(configs, isKey);
  }

  @Override
  public Object deserialize(String topic, byte[] data) {
    return deserialize(topic, null, data);
  }

  @Override
  public Object deserialize(String topic, Headers headers, byte[] data) {
    long deadline = System.nanoTime() + maxWait.toNanos();
    while (true) {
      try {
        return headers == null ? inner.deserialize(topic, data) : inner.deserialize(topic, headers, data);
      } catch (RuntimeException e) {
        if (!DependencyFailures.isRegistryOutage(e) || System.nanoTime() >= deadline) {
          throw e;
        }
        limiter.log(LOG, Level.WARN, "waiting", "a record of {} waits for the schema registry at {} to look up its "
            + "schema ({}); nothing is skipped (XMODAL_REGISTRY_URL names it)", topic, registryUrl,
            DependencyFailures.classify(e).map(DependencyFailures.Failure::reason).orElse("unreachable"));
        if (!awaitRegistry(deadline)) {
          throw e;
        }
      }
    }
  }

  /** True once the registry answers, false if the deadline passes first or the thread is interrupted. */
  private boolean awaitRegistry(long deadline) {
    try {
      while (System.nanoTime() < deadline) {
        Thread.sleep(Math.min(PROBE_EVERY.toMillis(), Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
        Optional<String> failure = Dependencies.probeRegistry(http(), registryUrl, PROBE_EVERY.multipliedBy(2));
        if (failure.isEmpty()) {
          return true;
        }
      }
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private synchronized HttpClient http() {
    if (http == null) {
      http = Dependencies.registryClient();
    }
    return http;
  }

  @Override
  public void close() {
    inner.close();
  }
}
