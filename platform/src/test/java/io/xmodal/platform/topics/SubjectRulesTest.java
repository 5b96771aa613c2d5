package io.xmodal.platform.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The compatibility rule set by services that start side by side, against a registry stub. */
class SubjectRulesTest {

  static final String SUBJECT = "xmodal.images.raw-value";

  HttpServer server;
  String api;
  final List<String> calls = Collections.synchronizedList(new ArrayList<>());
  /** Whether the stub's rule exists; set by the stub itself to play another service creating it first. */
  final AtomicBoolean exists = new AtomicBoolean();
  volatile int postStatus = 204;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/apis/registry/v2/groups/default/artifacts/" + SUBJECT + "/rules", this::handle);
    server.start();
    api = "http://127.0.0.1:" + server.getAddress().getPort() + "/apis/registry/v2";
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private void handle(HttpExchange ex) throws IOException {
    calls.add(ex.getRequestMethod());
    int status;
    String body = "";
    switch (ex.getRequestMethod()) {
      case "GET" -> {
        status = exists.get() ? 200 : 404;
        body = exists.get() ? "{\"type\":\"COMPATIBILITY\",\"config\":\"FULL_TRANSITIVE\"}" : "{}";
      }
      case "POST" -> {
        // another service created the rule between this one's read and its create
        exists.set(true);
        status = postStatus;
        body = status == 409 ? "{\"message\":\"A rule named 'COMPATIBILITY' already exists.\"}" : "";
      }
      default -> status = 405;
    }
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      ex.getResponseBody().write(bytes);
    }
    ex.close();
  }

  @Test
  void shouldReadTheRuleAgainWhenAnotherServiceCreatedItFirst() throws Exception {
    // Given a subject without the rule, which another service creates while this one reads (its create gets 409)
    postStatus = 409;

    // When this service sets the rule
    SubjectRules.apply(HttpClient.newHttpClient(), api, Optional.empty(), SUBJECT, "FULL_TRANSITIVE");

    // Then it reads the rule again, finds it set, and does not fail
    assertThat(calls).containsExactly("GET", "POST", "GET");
  }

  @Test
  void shouldCreateTheRuleWhenNobodyHasAndLeaveItWhenSet() throws Exception {
    SubjectRules.apply(HttpClient.newHttpClient(), api, Optional.empty(), SUBJECT, "FULL_TRANSITIVE");
    SubjectRules.apply(HttpClient.newHttpClient(), api, Optional.empty(), SUBJECT, "FULL_TRANSITIVE");

    assertThat(calls).containsExactly("GET", "POST", "GET");
  }

  @Test
  void shouldSayWhatTheRegistryAnsweredWhenItRefuses() {
    postStatus = 403;
    exists.set(false);
    server.removeContext("/apis/registry/v2/groups/default/artifacts/" + SUBJECT + "/rules");
    server.createContext("/apis/registry/v2/groups/default/artifacts/" + SUBJECT + "/rules", ex -> {
      calls.add(ex.getRequestMethod());
      ex.sendResponseHeaders(ex.getRequestMethod().equals("GET") ? 404 : 403, -1);
      ex.close();
    });

    assertThatThrownBy(() -> SubjectRules.apply(HttpClient.newHttpClient(), api, Optional.empty(), SUBJECT,
        "FULL_TRANSITIVE")).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot set the FULL_TRANSITIVE compatibility rule of subject " + SUBJECT)
        .hasMessageContaining("HTTP 403");
  }
}
