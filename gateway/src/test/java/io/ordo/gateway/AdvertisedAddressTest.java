package io.ordo.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The gRPC address a gateway's delivery leases advertise ({@link GatewayServer#advertisedAddress}). */
class AdvertisedAddressTest {
  @Test
  void aSpecificBindAddressIsAdvertisedAsIsAndIpv6InBrackets() {
    assertThat(GatewayServer.advertisedAddress("127.0.0.1", 6570)).isEqualTo("127.0.0.1:6570");
    assertThat(GatewayServer.advertisedAddress("::1", 6571)).isEqualTo("[::1]:6571");
  }

  @Test
  void aWildcardBindIsAdvertisedUnderThisHostsName() {
    String advertised = GatewayServer.advertisedAddress("0.0.0.0", 6570);
    assertThat(advertised).endsWith(":6570").doesNotStartWith("0.0.0.0");
    assertThat(GatewayServer.advertisedAddress("::", 6570)).endsWith(":6570").doesNotStartWith("[::]");
  }
}
