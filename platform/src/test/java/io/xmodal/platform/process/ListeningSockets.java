package io.xmodal.platform.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The sockets a process listens on, as the Linux kernel reports them: the socket inodes among its open file
 * descriptors ({@code /proc/<pid>/fd}), matched against the TCP sockets in state LISTEN and every bound UDP socket
 * of its network namespace ({@code /proc/<pid>/net/tcp}, {@code tcp6}, {@code udp}, {@code udp6}).
 */
public final class ListeningSockets {

  private static final String TCP_LISTEN = "0A";

  /** One listening socket: {@code tcp} or {@code udp}, its local address and port. */
  public record Socket(String protocol, InetAddress address, int port) {

    public boolean isLoopback() {
      return address.isLoopbackAddress();
    }

    @Override
    public String toString() {
      return protocol + " " + address.getHostAddress() + ":" + port;
    }
  }

  private ListeningSockets() {}

  public static boolean supported() {
    return Files.isDirectory(Path.of("/proc/self/fd")) && Files.isRegularFile(Path.of("/proc/self/net/tcp"));
  }

  public static List<Socket> of(long pid) {
    Path proc = Path.of("/proc", Long.toString(pid));
    Set<String> inodes = socketInodes(proc.resolve("fd"));
    List<Socket> out = new ArrayList<>();
    for (String table : List.of("tcp", "tcp6", "udp", "udp6")) {
      Path file = proc.resolve("net").resolve(table);
      if (!Files.isRegularFile(file)) {
        continue;
      }
      boolean tcp = table.startsWith("tcp");
      List<String> rows = lines(file);
      for (String line : rows.subList(1, rows.size())) {
        String[] f = line.trim().split("\\s+");
        if (inodes.contains(f[9]) && (!tcp || f[3].equals(TCP_LISTEN))) {
          String[] local = f[1].split(":");
          out.add(new Socket(tcp ? "tcp" : "udp", address(local[0]), Integer.parseInt(local[1], 16)));
        }
      }
    }
    return out;
  }

  private static Set<String> socketInodes(Path fds) {
    Set<String> inodes = new HashSet<>();
    try (Stream<Path> links = Files.list(fds)) {
      links.forEach(link -> {
        try {
          String target = Files.readSymbolicLink(link).toString();
          if (target.startsWith("socket:[")) {
            inodes.add(target.substring(8, target.length() - 1));
          }
        } catch (IOException e) {
          // closed between listing and reading: not a listener any more
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + fds, e);
    }
    return inodes;
  }

  /** The kernel prints each 32-bit word of the address in host byte order. */
  static InetAddress address(String hex) {
    byte[] bytes = new byte[hex.length() / 2];
    boolean little = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
    for (int word = 0; word < bytes.length / 4; word++) {
      for (int i = 0; i < 4; i++) {
        int from = word * 4 + (little ? 3 - i : i);
        bytes[word * 4 + i] = (byte) Integer.parseInt(hex.substring(from * 2, from * 2 + 2), 16);
      }
    }
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an address: " + hex, e);
    }
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
