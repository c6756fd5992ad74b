package io.ordo.sequencer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AppendCoverageTest {
  @Test
  void nothingIsCoveredUntilEveryPartitionAcknowledgedAnEntry() {
    AppendCoverage coverage = new AppendCoverage(3);
    assertThat(coverage.covered()).isFalse();
    coverage.entryAcked(0, 100);
    coverage.entryAcked(1, 100);
    assertThat(coverage.covered()).isFalse();
    coverage.entryAcked(2, 50);
    assertThat(coverage.covered()).isTrue();
  }

  @Test
  void aTransactionIsCoveredOnlyByLaterStampsOnEveryPartition() {
    AppendCoverage coverage = new AppendCoverage(2);
    coverage.entryAcked(0, 10);
    coverage.entryAcked(1, 10);
    coverage.transactionHanded();
    assertThat(coverage.covered()).as("unanswered append").isFalse();
    coverage.transactionAcked(0, 20);
    assertThat(coverage.covered()).isFalse();
    // Same millisecond is not later: the watermark is the largest stamp minus one.
    coverage.entryAcked(1, 20);
    coverage.entryAcked(0, 20);
    assertThat(coverage.covered()).isFalse();
    coverage.entryAcked(1, 21);
    assertThat(coverage.covered()).isFalse();
    coverage.entryAcked(0, 22);
    assertThat(coverage.covered()).isTrue();
    // An older stamp arriving late changes nothing.
    coverage.entryAcked(0, 5);
    assertThat(coverage.covered()).isTrue();
  }

  @Test
  void failuresCompleteTheAppendAndAreCounted() {
    AppendCoverage coverage = new AppendCoverage(1);
    coverage.entryAcked(0, 1);
    coverage.transactionHanded();
    coverage.transactionHanded();
    coverage.transactionFailed();
    assertThat(coverage.covered()).isFalse();
    coverage.transactionAcked(0, 7);
    assertThat(coverage.handed()).isEqualTo(2);
    assertThat(coverage.completed()).isEqualTo(2);
    assertThat(coverage.failed()).isEqualTo(1);
    assertThat(coverage.covered()).isFalse();
    coverage.entryAcked(0, 8);
    assertThat(coverage.covered()).isTrue();
  }

  @Test
  void theListenerHearsEveryTransactionEventButNotHeartbeats() {
    AppendCoverage coverage = new AppendCoverage(1);
    AtomicInteger events = new AtomicInteger();
    coverage.onTransactionEvent(events::incrementAndGet);
    coverage.transactionHanded();
    coverage.transactionAcked(0, 1);
    coverage.transactionHanded();
    coverage.transactionFailed();
    coverage.entryAcked(0, 2);
    assertThat(events).hasValue(4);
    coverage.onTransactionEvent(null);
    coverage.transactionHanded();
    assertThat(events).hasValue(4);
  }

  @Test
  void rejectsNoPartitions() {
    assertThatThrownBy(() -> new AppendCoverage(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
