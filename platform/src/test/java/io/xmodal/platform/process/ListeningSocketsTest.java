package io.xmodal.platform.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** The check the binding tests rely on must see a wildcard listener when there is one. */
class ListeningSocketsTest {

  @Test
  void shouldReportAWildcardAndALoopbackListenerOfThisProcessAsSuch() throws Exception {
    assumeTrue(ListeningSockets.supported(), "needs Linux /proc");
    // Given this process listening on every interface and on loopback
    try (ServerSocket wildcard = new ServerSocket();
         ServerSocket loopback = new ServerSocket(0, 0, InetAddress.getByName("127.0.0.1"))) {
      wildcard.bind(new InetSocketAddress(0));

      // When its listening sockets are read from the kernel
      var sockets = ListeningSockets.of(ProcessHandle.current().pid());

      // Then both are there, each with the address it really has
      assertThat(sockets).filteredOn(s -> s.port() == wildcard.getLocalPort()).singleElement()
          .satisfies(s -> assertThat(s.address().isAnyLocalAddress()).isTrue());
      assertThat(sockets).filteredOn(s -> s.port() == loopback.getLocalPort()).singleElement()
          .satisfies(s -> assertThat(s.isLoopback()).isTrue());
    }
  }

  @Test
  void shouldDecodeTheKernelsHexAddressesOnALittleEndianHost() {
    assumeTrue(java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN);

    assertThat(ListeningSockets.address("0100007F").getHostAddress()).isEqualTo("127.0.0.1");
    assertThat(ListeningSockets.address("00000000000000000000000001000000").isLoopbackAddress()).isTrue();
    assertThat(ListeningSockets.address("0000000000000000FFFF00000100007F").getHostAddress()).isEqualTo("127.0.0.1");
    assertThat(ListeningSockets.address("00000000000000000000000000000000").isAnyLocalAddress()).isTrue();
  }
}
