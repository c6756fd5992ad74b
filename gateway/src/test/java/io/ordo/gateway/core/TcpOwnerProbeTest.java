package io.ordo.gateway.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TcpOwnerProbeTest {
  @Test
  void aListeningPortAnswersAndAClosedOneDoesNot() throws Exception {
    try (TcpOwnerProbe probe = new TcpOwnerProbe(1_000)) {
      int port;
      try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
        port = listener.getLocalPort();
        assertThat(probe.answers("127.0.0.1:" + port).get(10, TimeUnit.SECONDS)).isTrue();
      }
      // The same port once its listener is gone: refused.
      assertThat(probe.answers("127.0.0.1:" + port).get(10, TimeUnit.SECONDS)).isFalse();
    }
  }

  @Test
  void malformedAddressesDoNotAnswer() throws Exception {
    try (TcpOwnerProbe probe = new TcpOwnerProbe(1_000)) {
      for (String address :
          new String[] {"", "no-port", "host:", ":6570", "host:0", "host:65536", "host:x"}) {
        assertThat(probe.answers(address).get(10, TimeUnit.SECONDS)).as(address).isFalse();
      }
    }
  }

  @Test
  void addressesParseWithIpv6Brackets() {
    assertThat(TcpOwnerProbe.parse("127.0.0.1:6570"))
        .isEqualTo(new InetSocketAddress("127.0.0.1", 6570));
    assertThat(TcpOwnerProbe.parse("[::1]:6570")).isEqualTo(new InetSocketAddress("::1", 6570));
    assertThat(TcpOwnerProbe.parse("127.0.0.1")).isNull();
    assertThatThrownBy(() -> new TcpOwnerProbe(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
