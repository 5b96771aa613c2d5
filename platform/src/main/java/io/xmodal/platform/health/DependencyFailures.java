package io.xmodal.platform.health;

import io.apicurio.registry.rest.client.exception.RestClientException;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.DisconnectException;
import org.apache.kafka.common.errors.NetworkException;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * Tells an outage of a dependency apart from an error in the data: a registry that cannot be reached (connection
 * refused, unknown host, a timeout, HTTP 5xx or 429) or a broker that does not answer, as opposed to, say, a schema id
 * the registry answers 404 for. An outage must never turn a record into a dead letter: the record waits.
 */
public final class DependencyFailures {

  /** The simple names of the I/O exceptions the Apicurio client turns into a {@link RestClientException}. */
  private static final Set<String> IO_FAILURES = Set.of("ConnectException", "HttpConnectTimeoutException",
      "HttpTimeoutException", "SocketTimeoutException", "UnknownHostException", "NoRouteToHostException",
      "ClosedChannelException", "EOFException", "IOException", "SocketException", "UnresolvedAddressException",
      "InterruptedIOException");

  private DependencyFailures() {}

  /** One dependency's outage, found in an exception's cause chain. */
  public record Failure(Dependency dependency, String reason) {}

  /** The outage behind {@code e}, if it is one. */
  public static Optional<Failure> classify(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof DependencyUnavailableException d) {
        return Optional.of(new Failure(d.dependency(), d.reason()));
      }
      if (t instanceof RestClientException r) {
        return registryFailure(r);
      }
      if (t instanceof TimeoutException || t instanceof DisconnectException || t instanceof NetworkException) {
        return Optional.of(new Failure(Dependency.BROKER, t.getClass().getSimpleName() + ": " + t.getMessage()));
      }
      if (t instanceof ConfigException
          && String.valueOf(t.getMessage()).contains("No resolvable bootstrap urls")) {
        return Optional.of(new Failure(Dependency.BROKER, "no bootstrap address resolves"));
      }
    }
    return Optional.empty();
  }

  /** Whether {@code e} is an outage of the schema registry. */
  public static boolean isRegistryOutage(Throwable e) {
    return classify(e).map(f -> f.dependency() == Dependency.REGISTRY).orElse(false);
  }

  private static Optional<Failure> registryFailure(RestClientException r) {
    io.apicurio.registry.rest.v2.beans.Error error = r.getError();
    if (error == null) {
      return Optional.empty();
    }
    Integer code = error.getErrorCode();
    String name = error.getName();
    if ((code == null || code == 0) && name != null && IO_FAILURES.contains(name)) {
      return Optional.of(new Failure(Dependency.REGISTRY, reasonOf(name, error.getMessage())));
    }
    if (code != null && (code >= 500 || code == 429)) {
      return Optional.of(new Failure(Dependency.REGISTRY, "HTTP " + code
          + (error.getMessage() == null ? "" : ": " + error.getMessage())));
    }
    return Optional.empty();
  }

  private static String reasonOf(String name, String message) {
    String what = switch (name) {
      case "ConnectException" -> "connection refused or host unknown";
      case "HttpConnectTimeoutException" -> "connect timed out";
      case "HttpTimeoutException", "SocketTimeoutException" -> "timed out";
      case "UnknownHostException", "UnresolvedAddressException" -> "unknown host";
      default -> name;
    };
    return message == null || message.isBlank() ? what : what + ": " + message;
  }
}
