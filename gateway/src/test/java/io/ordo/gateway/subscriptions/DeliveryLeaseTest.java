package io.ordo.gateway.subscriptions;

import io.ordo.gateway.core.LeaseTakeover;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

class DeliveryLeaseTest {
  @Test
  void aHolderSurvivesEncoding() throws Exception {
    DeliveryLease.Holder holder =
        new DeliveryLease.Holder("gw-1", "10.0.0.1:9090", 1_700_000_000_123L, 42);
    assertThat(DeliveryLease.Holder.decode(holder.encode())).isEqualTo(holder);
    DeliveryLease.Holder noAddress = new DeliveryLease.Holder("gw-2", "", 5, 1);
    assertThat(DeliveryLease.Holder.decode(noAddress.value().getBytes())).isEqualTo(noAddress);
  }

  @Test
  void decodingSkipsUnknownFields() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.writeString(1, "gw-1");
    out.writeString(9, "a later field");
    out.writeInt64(3, 77);
    out.writeInt64(4, 3);
    out.flush();
    assertThat(DeliveryLease.Holder.decode(ByteString.copyFrom(bytes.toByteArray())))
        .isEqualTo(new DeliveryLease.Holder("gw-1", "", 77, 3));
  }

  @Test
  void holdersOfDifferentGroupsOrRenewalsDifferInBytes() {
    // Asserts compare bytes: a renewal and a later group of the same gateway must not look alike.
    DeliveryLease.Holder first = new DeliveryLease.Holder("gw-1", "", 1_000, 1);
    assertThat(first.encode()).isNotEqualTo(new DeliveryLease.Holder("gw-1", "", 1_000, 2).encode());
    assertThat(first.encode()).isNotEqualTo(new DeliveryLease.Holder("gw-1", "", 1_001, 1).encode());
  }

  @Test
  void settingsAreChecked() {
    assertThat(DeliveryLease.Settings.defaults().leaseMs()).isEqualTo(15_000);
    assertThat(DeliveryLease.Settings.defaults().renewEveryMs()).isEqualTo(5_000);
    assertThat(DeliveryLease.Settings.defaults().gatewayId())
        .isNotEqualTo(DeliveryLease.Settings.defaults().gatewayId());
    assertThatThrownBy(() -> new DeliveryLease.Settings("", "", 15_000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("gatewayId");
    assertThatThrownBy(() -> new DeliveryLease.Settings("gw", "", 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("leaseMs");
    assertThatThrownBy(() -> new DeliveryLease.Settings("gw", "x".repeat(300), 15_000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("address");
  }

  @Test
  void anUnexpiredLeaseOfAnotherInstanceIsTakenWhenItsAddressIsOursProbedWhenKnownElseWaitedFor() {
    DeliveryLease.Settings mine = new DeliveryLease.Settings("gw-new", "10.0.0.1:6570", 15_000);
    // An earlier run of this gateway (same address, another instance id): gone, take it.
    assertThat(DeliveryLease.takeover(new DeliveryLease.Holder("gw-old", "10.0.0.1:6570", 9, 1), mine))
        .isEqualTo(LeaseTakeover.TAKE);
    // Another gateway's address: ask whether something answers there.
    assertThat(DeliveryLease.takeover(new DeliveryLease.Holder("gw-b", "10.0.0.2:6570", 9, 1), mine))
        .isEqualTo(LeaseTakeover.PROBE);
    // No address: nothing to probe, wait for the expiry.
    assertThat(DeliveryLease.takeover(new DeliveryLease.Holder("gw-b", "", 9, 1), mine))
        .isEqualTo(LeaseTakeover.REFUSE);
    // A gateway that knows no address of its own never mistakes an address-less holder for itself.
    DeliveryLease.Settings anonymous = new DeliveryLease.Settings("gw-new", "", 15_000);
    assertThat(DeliveryLease.takeover(new DeliveryLease.Holder("gw-b", "", 9, 1), anonymous))
        .isEqualTo(LeaseTakeover.REFUSE);
  }

  @Test
  void settingsTakeAnAdvertisedAddressLater() {
    DeliveryLease.Settings settings = new DeliveryLease.Settings("gw", "", 15_000);
    DeliveryLease.Settings advertised = settings.withAddress("host-a:6570");
    assertThat(advertised).isEqualTo(new DeliveryLease.Settings("gw", "host-a:6570", 15_000));
    assertThatThrownBy(() -> settings.withAddress("h".repeat(300)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("address");
  }
}
