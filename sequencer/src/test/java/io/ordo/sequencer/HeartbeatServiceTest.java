package io.ordo.sequencer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Lifecycle and validation of the heartbeat service; sending is covered by SequencerIT. */
class HeartbeatServiceTest {
  // Nothing listens here.
  private static final String NO_BROKER = "127.0.0.1:1";

  @Test
  void rejectsBadIntervals() {
    try (Sequencer sequencer = new Sequencer(NO_BROKER, TopicLayout.defaults())) {
      assertThatThrownBy(() -> new HeartbeatService(sequencer, 0, "o"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("intervalMs");
      assertThatThrownBy(
              () -> new HeartbeatService(sequencer, HeartbeatService.INTERVAL_MS_MAX + 1, "o"))
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(new HeartbeatService(sequencer, 10, "o").intervalMs()).isEqualTo(10);
    }
  }

  @Test
  @Timeout(value = 20, unit = TimeUnit.SECONDS)
  void closeWithoutStartAndStartAfterCloseAreHandled() {
    try (Sequencer sequencer = new Sequencer(NO_BROKER, TopicLayout.defaults())) {
      HeartbeatService never = new HeartbeatService(sequencer, 10, "never");
      never.close();
      never.close();
      assertThatThrownBy(never::start).isInstanceOf(IllegalStateException.class);
      assertThat(never.sentCount()).isZero();
    }
  }

  @Test
  @Timeout(value = 20, unit = TimeUnit.SECONDS)
  void keepsRunningAndStaysBoundedWhileSendsFail() throws Exception {
    // A closed sequencer fails every send at once: the thread must survive and keep counting.
    Sequencer sequencer = new Sequencer(NO_BROKER, TopicLayout.defaults());
    sequencer.close();
    try (HeartbeatService heartbeats = new HeartbeatService(sequencer, 1, "failing")) {
      heartbeats.start();
      long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (heartbeats.failedCount() < 40 && System.nanoTime() - deadlineNs < 0) {
        Thread.sleep(5);
      }
      assertThat(heartbeats.failedCount()).isGreaterThanOrEqualTo(40);
      assertThat(heartbeats.sentCount()).isZero();
    }
  }

  @Test
  @Timeout(value = 20, unit = TimeUnit.SECONDS)
  void aPartitionThatGotATransactionSinceTheLastRoundGetsNoHeartbeat() throws Exception {
    // A closed sequencer fails every send, but still counts the transactions handed to it.
    Sequencer sequencer = new Sequencer(NO_BROKER, TopicLayout.defaults());
    sequencer.close();
    int partitions = sequencer.layout().logPartitions();
    try (HeartbeatService heartbeats = new HeartbeatService(sequencer, 1, "suppressed")) {
      heartbeats.start();
      long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      int id = 0;
      // Keep every partition busy until some rounds have been suppressed.
      while (heartbeats.suppressedCount() < 20 && System.nanoTime() - deadlineNs < 0) {
        for (int p = 0; p < partitions; p++) {
          sequencer.append(io.ordo.proto.Transaction.newBuilder().setId("t" + id++).build());
        }
        Thread.sleep(1);
      }
      assertThat(heartbeats.suppressedCount()).isGreaterThanOrEqualTo(20);
      for (int p = 0; p < partitions; p++) {
        assertThat(sequencer.transactionAppends(p)).as("partition %d", p).isPositive();
      }
      // Idle again: heartbeats resume.
      long failedBefore = heartbeats.failedCount();
      while (heartbeats.failedCount() < failedBefore + 2L * partitions
          && System.nanoTime() - deadlineNs < 0) {
        Thread.sleep(5);
      }
      assertThat(heartbeats.failedCount()).isGreaterThanOrEqualTo(failedBefore + 2L * partitions);
    }
  }

  @Test
  @Timeout(value = 20, unit = TimeUnit.SECONDS)
  void quietModeNeverStopsWhileTimestampsAreOpenButSlowsToProbesWhileTheBrokerIsSilent()
      throws Exception {
    // A closed sequencer fails every send (each one counted) and acknowledges nothing, so the
    // timestamps stay open: rounds may slow down, never stop.
    Sequencer sequencer = new Sequencer(NO_BROKER, TopicLayout.defaults());
    sequencer.close();
    assertThatThrownBy(() -> new HeartbeatService(sequencer, 10, "o", 99))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("quietAfterMs must be 0 or in [10 * intervalMs");
    int partitions = sequencer.layout().logPartitions();
    try (HeartbeatService heartbeats = new HeartbeatService(sequencer, 1, "quiet", 50)) {
      heartbeats.start();
      long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      // Rounds at the interval for the quiet period after start, then one probe per period.
      while (heartbeats.probeRoundCount() < 3 && System.nanoTime() - deadlineNs < 0) {
        Thread.sleep(5);
      }
      assertThat(heartbeats.probeRoundCount()).isGreaterThanOrEqualTo(3);
      assertThat(heartbeats.isQuiet()).as("open timestamps are never left quiet").isFalse();
      assertThat(heartbeats.quietPeriodCount()).isZero();
      long failedAtProbes = heartbeats.failedCount();
      long probesAt = heartbeats.probeRoundCount();
      long startNs = System.nanoTime();
      Thread.sleep(300);
      long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
      long probes = heartbeats.probeRoundCount() - probesAt;
      // One round per 50 ms (300 rounds at the 1 ms interval would be 300 x partitions sends).
      assertThat(probes).isBetween(1L, elapsedMs / 50 + 1);
      // A round's sends are counted just after its probe, so a read may fall between them.
      assertThat(heartbeats.failedCount() - failedAtProbes)
          .isBetween((probes - 1) * partitions, (probes + 1) * partitions);

      // One append (failed: its timestamp is unknown) brings rounds at the interval back for the
      // quiet period: more sends than probes alone could make in that time.
      long failedBefore = heartbeats.failedCount();
      long probesBefore = heartbeats.probeRoundCount();
      sequencer.append(io.ordo.proto.Transaction.newBuilder().setId("wake").build());
      while (heartbeats.failedCount() < failedBefore + 5L * partitions
          && System.nanoTime() - deadlineNs < 0) {
        Thread.sleep(2);
      }
      long sends = heartbeats.failedCount() - failedBefore;
      long probeSends = (heartbeats.probeRoundCount() - probesBefore + 1) * partitions;
      assertThat(sends).isGreaterThanOrEqualTo(5L * partitions);
      assertThat(sends).as("rounds beyond the probes").isGreaterThan(probeSends);
      assertThat(heartbeats.isQuiet()).isFalse();
    }
  }
}
