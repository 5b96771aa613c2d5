package io.xmodal.platform.health;

import java.util.Optional;

/**
 * A dependency (the Kafka broker, the schema registry) did not answer: says which, where, why, and which setting
 * names it, so an operator knows what to start or fix.
 */
public final class DependencyUnavailableException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final Dependency dependency;
  private final String endpoint;
  private final String reason;

  public DependencyUnavailableException(Dependency dependency, String endpoint, String reason, String advice) {
    super(describe(dependency, endpoint, reason) + (advice == null || advice.isBlank() ? "" : "; " + advice));
    this.dependency = dependency;
    this.endpoint = endpoint;
    this.reason = reason;
  }

  /** "the schema registry at http://… is unreachable (connection refused)". */
  public static String describe(Dependency dependency, String endpoint, String reason) {
    return "the " + dependency.label() + (endpoint == null ? "" : " at " + endpoint) + " is unreachable ("
        + reason + ")";
  }

  /** What to do about an external endpoint: check the setting that names it. */
  public static String externalAdvice(Dependency dependency) {
    return "is it running? " + dependency.setting() + " names it";
  }

  public Dependency dependency() {
    return dependency;
  }

  public Optional<String> endpoint() {
    return Optional.ofNullable(endpoint);
  }

  public String reason() {
    return reason;
  }
}
