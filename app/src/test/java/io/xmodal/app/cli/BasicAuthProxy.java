package io.xmodal.app.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.xmodal.platform.config.Credentials;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A reverse proxy on 127.0.0.1 that lets a request through to the registry only with the right HTTP basic
 * credentials, and answers 401 otherwise: how a registry is put behind basic auth when the registry itself cannot
 * check it (the packaged Apicurio 2.6 checks basic auth only by trading it for a token at an OpenID Connect server).
 */
final class BasicAuthProxy implements AutoCloseable {

  private static final Set<String> NOT_FORWARDED = Set.of("host", "connection", "content-length", "expect", "upgrade",
      "authorization", "transfer-encoding", "keep-alive");

  private final HttpServer server;
  private final ExecutorService threads;
  private final HttpClient client = HttpClient.newHttpClient();
  private final String target;
  private final String expected;
  private final AtomicInteger allowed = new AtomicInteger();
  private final AtomicInteger refused = new AtomicInteger();

  private BasicAuthProxy(HttpServer server, ExecutorService threads, String target, Credentials credentials) {
    this.server = server;
    this.threads = threads;
    this.target = target;
    this.expected = "Basic " + Base64.getEncoder().encodeToString(
        (credentials.user() + ":" + credentials.password()).getBytes(StandardCharsets.UTF_8));
  }

  /** Proxies to the server root {@code target} (e.g. http://127.0.0.1:28081). */
  static BasicAuthProxy start(String target, Credentials credentials) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    ExecutorService threads = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "registry-proxy");
      t.setDaemon(true);
      return t;
    });
    BasicAuthProxy proxy = new BasicAuthProxy(server, threads, target, credentials);
    server.createContext("/", proxy::handle);
    server.setExecutor(threads);
    server.start();
    return proxy;
  }

  String root() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  int allowed() {
    return allowed.get();
  }

  int refused() {
    return refused.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      if (!expected.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
        refused.incrementAndGet();
        exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"registry\"");
        respond(exchange, 401, "{\"error_code\":401,\"message\":\"Unauthorized\"}".getBytes(StandardCharsets.UTF_8));
        return;
      }
      allowed.incrementAndGet();
      HttpRequest.Builder forward = HttpRequest.newBuilder(URI.create(target + exchange.getRequestURI()))
          .method(exchange.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofByteArray(body));
      exchange.getRequestHeaders().forEach((name, values) -> {
        if (!NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT))) {
          values.forEach(v -> forward.header(name, v));
        }
      });
      HttpResponse<byte[]> response = client.send(forward.build(), HttpResponse.BodyHandlers.ofByteArray());
      for (Map.Entry<String, List<String>> h : response.headers().map().entrySet()) {
        String name = h.getKey().toLowerCase(Locale.ROOT);
        if (!NOT_FORWARDED.contains(name) && !name.startsWith(":")) {
          h.getValue().forEach(v -> exchange.getResponseHeaders().add(h.getKey(), v));
        }
      }
      respond(exchange, response.statusCode(), response.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void respond(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
