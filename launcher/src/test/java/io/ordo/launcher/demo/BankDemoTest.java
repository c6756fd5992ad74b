package io.ordo.launcher.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ordo.proto.KeyRead;
import io.ordo.proto.Outcome;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BankDemoTest {
  private static KeyRead read(int index, long balance) {
    return KeyRead.newBuilder()
        .setOpIndex(index)
        .setKey(BankDemoConfig.accountKey(index))
        .setFound(true)
        .setValue(Value.newBuilder().setCounter(balance))
        .build();
  }

  @Test
  void conservedBalancesPass() {
    TxnResult result = TxnResult.newBuilder().setOutcome(Outcome.COMMITTED)
        .addReads(read(0, 0)).addReads(read(1, 1_500)).addReads(read(2, 1_500)).build();
    BankDemoReport.Verification v = BankDemo.checkBalances(result, 3, 3_000);
    assertThat(v.invariantHolds()).isTrue();
    assertThat(v.accountsFound()).isEqualTo(3);
    assertThat(v.totalBalance()).isEqualTo(3_000);
  }

  @Test
  void missingNegativeAndNonCounterAccountsAreCounted() {
    TxnResult result = TxnResult.newBuilder().setOutcome(Outcome.COMMITTED)
        .addReads(read(0, -5))
        .addReads(KeyRead.newBuilder().setOpIndex(1).setKey("acct-00001").setFound(false))
        .addReads(KeyRead.newBuilder().setOpIndex(2).setKey("acct-00002").setFound(true)
            .setValue(Value.newBuilder().setBytes(ByteString.copyFromUtf8("x"))))
        // Account 3 is not in the reads at all.
        .build();
    BankDemoReport.Verification v = BankDemo.checkBalances(result, 4, 4_000);
    assertThat(v.invariantHolds()).isFalse();
    assertThat(v.negativeBalances()).isEqualTo(1);
    assertThat(v.missingAccounts()).isEqualTo(2);
    assertThat(v.nonCounterValues()).isEqualTo(1);
    assertThat(v.totalBalance()).isEqualTo(-5);
  }

  @Test
  void aReadOfTheWrongKeyFailsTheVerification() {
    TxnResult result = TxnResult.newBuilder().setOutcome(Outcome.COMMITTED)
        .addReads(KeyRead.newBuilder().setOpIndex(0).setKey("acct-00001").setFound(true)
            .setValue(Value.newBuilder().setCounter(1)))
        .build();
    BankDemoReport.Verification v = BankDemo.checkBalances(result, 2, 2);
    assertThat(v.readError()).contains("acct-00000");
  }

  @Test
  void accountKeysAreZeroPadded() {
    assertThat(BankDemoConfig.accountKey(7)).isEqualTo("acct-00007");
    assertThat(BankDemoConfig.accountKey(12_345)).isEqualTo("acct-12345");
  }

  @Test
  void durationsAreShownCompactly() {
    assertThat(BankDemo.humanDuration(Duration.ofSeconds(30))).isEqualTo("30s");
    assertThat(BankDemo.humanDuration(Duration.ofMinutes(2))).isEqualTo("2m");
    assertThat(BankDemo.humanDuration(Duration.ofSeconds(90))).isEqualTo("1m30s");
    assertThat(BankDemo.humanDuration(Duration.ofSeconds(3_661))).isEqualTo("1h1m1s");
    assertThat(BankDemo.humanDuration(Duration.ofMillis(1_500))).isEqualTo("1500ms");
  }
}
