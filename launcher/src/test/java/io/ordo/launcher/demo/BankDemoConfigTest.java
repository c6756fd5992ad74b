package io.ordo.launcher.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BankDemoConfigTest {
  private static BankDemoConfig with(int accounts, long initialBalance, double theta) {
    BankDemoConfig d = BankDemoConfig.defaults();
    return new BankDemoConfig(accounts, initialBalance, d.clients(), d.duration(), theta,
        d.maxAmount(), d.seed(), d.loadBatchSize(), d.rpcTimeout(), d.readyTimeout(),
        d.progress());
  }

  @Test
  void defaultsMatchTheWorkload() {
    BankDemoConfig d = BankDemoConfig.defaults();
    assertThat(d.accounts()).isEqualTo(10_000);
    assertThat(d.initialBalance()).isEqualTo(1_000);
    assertThat(d.clients()).isEqualTo(16);
    assertThat(d.duration()).isEqualTo(Duration.ofSeconds(30));
    assertThat(d.theta()).isEqualTo(0.99);
    assertThat(d.seed()).isEqualTo(42);
    assertThat(d.expectedTotal()).isEqualTo(10_000_000);
  }

  @Test
  void rejectsOutOfRangeValuesNamingThem() {
    assertThatThrownBy(() -> with(1, 1_000, 0.99))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("accounts");
    assertThatThrownBy(() -> with(BankDemoConfig.TXN_OPS_MAX + 1, 1_000, 0.99))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("one transaction");
    assertThatThrownBy(() -> with(100, -1, 0.99))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("initial balance");
    assertThatThrownBy(() -> with(10_000, Long.MAX_VALUE / 100, 0.99))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("int64");
    assertThatThrownBy(() -> with(100, 1_000, 1.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("theta");
  }
}
