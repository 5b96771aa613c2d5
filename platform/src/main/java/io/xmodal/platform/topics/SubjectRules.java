package io.xmodal.platform.topics;

import io.xmodal.platform.config.Credentials;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.health.Dependency;
import io.xmodal.platform.health.DependencyUnavailableException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The compatibility rule of each subject that producers outside xmodal write and xmodal's services read with a fixed
 * reader schema: {@code xmodal.images.raw-value}, {@code xmodal.captions.raw-value} and {@code xmodal.queries-value}
 * get {@value #PRODUCER_RULE}, set on the artifact itself (so the registry's Confluent-compatible API reports it for the
 * subject, {@code GET /apis/ccompat/v7/config/<subject>}).
 *
 * <p>Why FULL_TRANSITIVE: the services' reader is one of the subject's versions (xmodal registers it), so every later
 * version must be readable by it and by every other earlier one (FORWARD, transitive: a producer can never again
 * register a version that drops or retypes a field xmodal requires, which the registry's BACKWARD default allowed and
 * which dead-lettered every record after it). FULL adds BACKWARD: every version also reads all data written before it,
 * so a reader that moves to a newer version (xmodal adopting a producer's optional field, a producer replaying its own
 * topic with its latest schema) still reads every retained record. What it forbids beyond FORWARD (a field added
 * without a default, or removed when it had none) is nothing xmodal could use: it reads only its own fields.
 */
public final class SubjectRules {

  private static final Logger LOG = LoggerFactory.getLogger(SubjectRules.class);
  public static final String PRODUCER_RULE = "FULL_TRANSITIVE";
  private static final Duration TIMEOUT = Duration.ofSeconds(15);

  private SubjectRules() {}

  /** The subjects producers write: those the rule protects. */
  public static List<String> producerSubjects(TopicCatalogue topics) {
    return List.of(topics.imagesRaw(), topics.captionsRaw(), topics.queries()).stream()
        .map(t -> t.name() + "-value").toList();
  }

  /**
   * Sets {@value #PRODUCER_RULE} on every producer subject (their schemas must be registered already: the serde
   * warm-up registers them). Idempotent; throws {@link DependencyUnavailableException} when the registry cannot be
   * reached (the caller waits for it), {@link IllegalStateException} naming the subject and the registry's answer when
   * it refuses.
   */
  public static void apply(PlatformConfig config, TopicCatalogue topics) throws InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    String api = config.requireRegistryUrl();
    for (String subject : producerSubjects(topics)) {
      apply(http, api, config.registryAuth(), subject, PRODUCER_RULE);
    }
  }

  /**
   * Reads the subject's rule and sets it when it differs. Services start side by side and each sets the rules: when
   * another one created the rule between this one's read and its create (HTTP 409), the rule is read again.
   */
  static void apply(HttpClient http, String api, Optional<Credentials> auth, String subject, String rule)
      throws InterruptedException {
    String rules = api + "/groups/default/artifacts/" + URLEncoder.encode(subject, StandardCharsets.UTF_8) + "/rules";
    String body = "{\"type\":\"COMPATIBILITY\",\"config\":\"" + rule + "\"}";
    try {
      for (int attempt = 1; ; attempt++) {
        HttpResponse<String> current = http.send(request(rules + "/COMPATIBILITY", auth).GET().build(),
            HttpResponse.BodyHandlers.ofString());
        if (current.statusCode() == 200 && current.body().contains("\"" + rule + "\"")) {
          return;
        }
        boolean exists = current.statusCode() == 200;
        HttpResponse<String> set = exists
            ? http.send(request(rules + "/COMPATIBILITY", auth).PUT(HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString())
            : http.send(request(rules, auth).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (!exists && set.statusCode() == 409 && attempt < 3) {
          continue; // created meanwhile by another service: read it again
        }
        if (set.statusCode() >= 500 || set.statusCode() == 429) {
          throw new DependencyUnavailableException(Dependency.REGISTRY, api, "HTTP " + set.statusCode(),
              DependencyUnavailableException.externalAdvice(Dependency.REGISTRY));
        }
        if (set.statusCode() / 100 != 2) {
          throw new IllegalStateException("cannot set the " + rule + " compatibility rule of subject " + subject
              + " at " + api + ": HTTP " + set.statusCode() + " " + set.body());
        }
        LOG.info("schema subject {}: compatibility {}", subject, rule);
        return;
      }
    } catch (IOException e) {
      // an outage, not a refusal: the caller waits for the registry and tries again
      throw new DependencyUnavailableException(Dependency.REGISTRY, api, e.getClass().getSimpleName(),
          DependencyUnavailableException.externalAdvice(Dependency.REGISTRY));
    }
  }

  private static HttpRequest.Builder request(String url, Optional<Credentials> auth) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT)
        .header("Content-Type", "application/json");
    auth.ifPresent(c -> b.header("Authorization", "Basic " + Base64.getEncoder()
        .encodeToString((c.user() + ":" + c.password()).getBytes(StandardCharsets.UTF_8))));
    return b;
  }
}
