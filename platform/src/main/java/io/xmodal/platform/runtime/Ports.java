package io.xmodal.platform.runtime;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Port checks with errors that say which setting to change. */
public final class Ports {

  private Ports() {}

  /** Throws {@link PortInUseException} if {@code host:port} cannot be bound. */
  public static void requireFree(String host, int port, String what, String setting) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getByName(host), port));
    } catch (IOException e) {
      throw new PortInUseException(host, port, what, setting);
    }
  }

  /** A port that is free right now (for tests and for "any port" settings). */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free port", e);
    }
  }

  /**
   * A port {@code base} such that {@code base, base + step, …, base + (count − 1)·step} are all free right now (for a
   * cluster whose node i uses a setting + step·(i − 1)).
   */
  public static int freeSeries(int count, int step) {
    for (int attempt = 0; attempt < 100; attempt++) {
      int base = freePort();
      if (base + (count - 1) * step > 65535) {
        continue;
      }
      boolean all = true;
      for (int i = 1; i < count && all; i++) {
        try (ServerSocket socket = new ServerSocket(base + i * step, 0, InetAddress.getLoopbackAddress())) {
          all = socket.getLocalPort() > 0;
        } catch (IOException e) {
          all = false;
        }
      }
      if (all) {
        return base;
      }
    }
    throw new IllegalStateException("no series of " + count + " free ports " + step + " apart");
  }

  /** A port the embedded runtime needs is taken. */
  public static final class PortInUseException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int port;
    private final String setting;

    PortInUseException(String host, int port, String what, String setting) {
      super("port " + port + " on " + host + " (" + what + ") is already in use: stop what holds it, or set "
          + setting + " to a free port" + (what.contains("broker") ? " (or KAFKA_BOOTSTRAP_SERVERS to use a running "
          + "cluster instead)" : ""));
      this.port = port;
      this.setting = setting;
    }

    public int port() {
      return port;
    }

    public String setting() {
      return setting;
    }
  }
}
