package io.xmodal.platform.health;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A stand-in for the registry's HTTP API in unit tests: {@code /system/info} answers 200, and a content id lookup
 * answers 404 the way Apicurio does for an id it never issued, except {@link #IMAGE_EVENT_ID}.
 */
public final class RegistryStub implements AutoCloseable {

  /** The one content id it knows: the ImageEvent schema. */
  public static final int IMAGE_EVENT_ID = 77;

  private final HttpServer server;

  private RegistryStub(HttpServer server) {
    this.server = server;
  }

  public static RegistryStub start(int port) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
    server.createContext("/apis/registry/v2/system/info", exchange -> reply(exchange, 200,
        "{\"name\":\"stub\",\"version\":\"2.6.13.Final\"}"));
    server.createContext("/apis/registry/v2/ids/contentIds/", exchange -> {
      String path = exchange.getRequestURI().getPath();
      if (path.endsWith("/references")) {
        reply(exchange, 200, "[]");
        return;
      }
      String id = path.replaceAll(".*/", "");
      if (id.equals(Integer.toString(IMAGE_EVENT_ID))) {
        reply(exchange, 200, io.xmodal.schemas.ImageEvent.getClassSchema().toString());
      } else {
        reply(exchange, 404, "{\"error_code\":404,\"message\":\"No content with id '" + id + "' was found.\","
            + "\"name\":\"ContentNotFoundException\"}");
      }
    });
    server.start();
    return new RegistryStub(server);
  }

  public String apiUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/apis/registry/v2";
  }

  private static void reply(com.sun.net.httpserver.HttpExchange exchange, int status, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
