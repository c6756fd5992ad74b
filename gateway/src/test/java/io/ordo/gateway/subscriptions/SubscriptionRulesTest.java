package io.ordo.gateway.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ordo.proto.CreateSubscriptionRequest;
import io.ordo.proto.ReadFrom;
import io.ordo.proto.RecordId;
import io.ordo.proto.Subscription;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SubscriptionRulesTest {
  private static CreateSubscriptionRequest.Builder request() {
    return CreateSubscriptionRequest.newBuilder().setId("sub-1").setStream("orders");
  }

  private static void assertInvalid(Runnable call, String reason) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT))
        .hasMessageContaining(reason);
  }

  @Test
  void zeroSettingsGetTheDefaults() {
    Subscription s = SubscriptionRules.settingsOf(request().build());
    assertThat(s.getAckTimeoutSeconds()).isEqualTo(30);
    assertThat(s.getMaxUnackedRecords()).isEqualTo(1000);
    assertThat(s.getFrom()).isEqualTo(ReadFrom.Special.EARLIEST);
    assertThat(s.getId()).isEqualTo("sub-1");
    assertThat(s.getStream()).isEqualTo("orders");
  }

  @Test
  void explicitSettingsAreKeptAtTheBounds() {
    Subscription s =
        SubscriptionRules.settingsOf(
            request().setAckTimeoutSeconds(3600).setMaxUnackedRecords(100_000)
                .setFrom(ReadFrom.Special.LATEST).build());
    assertThat(s.getAckTimeoutSeconds()).isEqualTo(3600);
    assertThat(s.getMaxUnackedRecords()).isEqualTo(100_000);
    assertThat(s.getFrom()).isEqualTo(ReadFrom.Special.LATEST);
  }

  @Test
  void outOfRangeSettingsAreRejectedWithTheRule() {
    assertInvalid(() -> SubscriptionRules.settingsOf(request().setAckTimeoutSeconds(3601).build()),
        "ack_timeout_seconds must be in 1..3600");
    assertInvalid(() -> SubscriptionRules.settingsOf(request().setAckTimeoutSeconds(-1).build()),
        "ack_timeout_seconds must be in 1..3600");
    assertInvalid(() -> SubscriptionRules.settingsOf(request().setMaxUnackedRecords(100_001).build()),
        "max_unacked_records must be in 1..100000");
    assertInvalid(() -> SubscriptionRules.settingsOf(request().setFromValue(7).build()),
        "from must be EARLIEST or LATEST");
  }

  @Test
  void namesAreCheckedForLengthAndCharacters() {
    assertInvalid(() -> SubscriptionRules.settingsOf(request().setId("").build()), "id is required");
    assertInvalid(() -> SubscriptionRules.settingsOf(request().setId("a/b").build()),
        "id 'a/b' has the character '/' at index 1");
    assertInvalid(() -> SubscriptionRules.settingsOf(request().setStream("x y").build()),
        "stream 'x y' has the character U+0020 at index 1");
    assertInvalid(() -> SubscriptionRules.settingsOf(request().setId("a".repeat(256)).build()),
        "id is 256 characters long; at most 255");
    SubscriptionRules.checkName("consumer_name", "A-z_0.9");
  }

  @Test
  void acksMustBeNonNegativeAndBounded() {
    assertInvalid(() -> SubscriptionRules.checkAcks(
        List.of(RecordId.newBuilder().setShardId(0).setOffset(-1).build())),
        "acks[0] has shard_id 0 and offset -1");
    List<RecordId> many = new ArrayList<>();
    for (int i = 0; i <= SubscriptionRules.ACKS_PER_REQUEST_MAX; i++) {
      many.add(RecordId.newBuilder().setOffset(i).build());
    }
    assertInvalid(() -> SubscriptionRules.checkAcks(many), "10001 acks in one request");
  }
}
