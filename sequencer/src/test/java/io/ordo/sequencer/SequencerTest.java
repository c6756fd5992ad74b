package io.ordo.sequencer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.proto.Heartbeat;
import io.ordo.proto.Transaction;
import org.junit.jupiter.api.Test;

/** Parts of the sequencer that need no broker (the producer connects lazily). */
class SequencerTest {
  // Nothing listens here; no test below sends a record.
  private static final String NO_BROKER = "127.0.0.1:1";

  @Test
  void partitionForIsPositiveMurmur2ModuloPartitions() {
    try (Sequencer sequencer = new Sequencer(NO_BROKER, TopicLayout.defaults())) {
      // Computed with an independent murmur2 implementation: (murmur2 & 0x7fffffff) % 4.
      assertThat(sequencer.partitionFor("txn-1")).isEqualTo(2);
      assertThat(sequencer.partitionFor("txn-2")).isEqualTo(3);
      assertThat(sequencer.partitionFor("order-42")).isEqualTo(0);
      for (int i = 0; i < 1000; i++) {
        assertThat(sequencer.partitionFor("id-" + i)).isBetween(0, 3);
      }
    }
  }

  @Test
  void rejectsBadIdsAndPartitionsWithoutSending() {
    try (Sequencer sequencer = new Sequencer(NO_BROKER, TopicLayout.defaults())) {
      assertThatThrownBy(() -> sequencer.append(Transaction.newBuilder().setId("").build()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("1..128");
      assertThatThrownBy(
              () -> sequencer.append(Transaction.newBuilder().setId("x".repeat(129)).build()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("129");
      assertThatThrownBy(() -> sequencer.appendHeartbeat(4, Heartbeat.getDefaultInstance()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("[0, 4)");
      assertThatThrownBy(() -> sequencer.appendRaw(-1, null, new byte[0]))
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> new Sequencer(" ", TopicLayout.defaults()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bootstrapServers");
  }

  @Test
  void appendAfterCloseFailsTheFuture() {
    Sequencer sequencer = new Sequencer(NO_BROKER, TopicLayout.defaults());
    sequencer.close();
    assertThat(sequencer.append(Transaction.newBuilder().setId("t").build()))
        .isCompletedExceptionally();
  }
}
