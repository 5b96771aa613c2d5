package io.xmodal.platform.process;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PortsTest {

  @Test
  void shouldPickPortsOutsideTheEphemeralRange() {
    int[] range = {32768, 60999};
    Random random = new Random(3);
    boolean sawBelow = false;
    boolean sawAbove = false;
    for (int i = 0; i < 10_000; i++) {
      int port = Ports.pick(random, range);
      assertTrue(port >= 10000 && port <= 65535, "port " + port);
      assertFalse(port >= range[0] && port <= range[1], "port " + port + " is in the ephemeral range");
      sawBelow |= port < range[0];
      sawAbove |= port > range[1];
    }
    assertTrue(sawBelow && sawAbove, "both sides of the range are used");
  }

  @Test
  void shouldPickNothingWhenTheRangeCoversEveryCandidate() {
    assertEquals(0, Ports.pick(new Random(1), new int[] {10000, 65535}));
  }

  @Test
  void shouldReturnABindablePortOutsideThisMachinesEphemeralRange() throws IOException {
    int[] range = Ports.ephemeralRange();
    int port = Ports.freePort();
    assertFalse(port >= range[0] && port <= range[1], "port " + port + " is in " + range[0] + "-" + range[1]);
    try (ServerSocket socket = new ServerSocket(port, 0, InetAddress.getLoopbackAddress())) {
      assertEquals(port, socket.getLocalPort());
    }
  }

  @Test
  void shouldReadThisMachinesRangeFromTheKernelNotFallBackToTheIanaOne() throws IOException {
    Path file = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    assumeTrue(Files.isReadable(file), "no /proc here");
    String[] parts = Files.readAllLines(file).get(0).trim().split("\\s+");

    assertArrayEquals(new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])}, Ports.ephemeralRange());
  }
}
