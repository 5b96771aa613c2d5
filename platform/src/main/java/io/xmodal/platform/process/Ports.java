package io.xmodal.platform.process;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

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

  /**
   * A port that is free right now (for tests and for "any port" settings), chosen outside the kernel's ephemeral
   * range: a port handed out by {@code bind(0)} lies inside it, so an outgoing connection (a broker's, a client's)
   * opened between choosing the port and binding it could take it, which made a registry start fail with "port in
   * use". Falls back to {@code bind(0)} if no port outside the range is free.
   */
  public static int freePort() {
    int[] range = ephemeralRange();
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int attempt = 0; attempt < 200; attempt++) {
      int port = pick(random, range);
      if (port > 0 && bindable(port)) {
        return port;
      }
    }
    try (ServerSocket socket = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free port", e);
    }
  }

  /** A random port in [10000, 65535] outside {@code range} (inclusive bounds), or 0 if there is none. */
  static int pick(RandomGenerator random, int[] range) {
    int below = Math.max(0, range[0] - 10000);
    int above = Math.max(0, 65535 - range[1]);
    if (below + above == 0) {
      return 0;
    }
    int i = random.nextInt(below + above);
    return i < below ? 10000 + i : range[1] + 1 + (i - below);
  }

  /** The kernel's ephemeral port range (Linux), or the IANA one (49152–65535) where it cannot be read. */
  static int[] ephemeralRange() {
    try {
      // read by lines: Files.readString reads a sysctl file as its first byte only (it reports size 0)
      String[] parts = String.join(" ", Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")))
          .trim().split("\\s+");
      return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
    } catch (IOException | RuntimeException e) {
      return new int[] {49152, 65535};
    }
  }

  private static boolean bindable(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return true;
    } catch (IOException e) {
      return false;
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
