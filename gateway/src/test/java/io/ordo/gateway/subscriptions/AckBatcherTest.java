package io.ordo.gateway.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class AckBatcherTest {
  @Test
  void anAckIsCountedOnceAndIsPendingUntilItsBatchIsDone() {
    AckBatcher acks = new AckBatcher();
    assertThat(acks.isEmpty()).isTrue();
    assertThat(acks.add(0, 5)).isTrue();
    assertThat(acks.add(0, 5)).as("the same ack again").isFalse();
    assertThat(acks.add(1, 5)).isTrue();
    assertThat(acks.pendingCount()).isEqualTo(2);
    assertThat(acks.contains(0, 5)).isTrue();
    assertThat(acks.contains(0, 6)).isFalse();
    assertThat(acks.contains(2, 5)).isFalse();

    SortedMap<Long, TreeSet<Long>> batch = acks.takeBatch(shard -> true);
    assertThat(batch).containsOnlyKeys(0L, 1L);
    assertThat(acks.pendingCount()).isZero();
    assertThat(acks.writing()).isTrue();
    assertThat(acks.isEmpty()).as("a batch is being written").isFalse();
    assertThat(acks.contains(0, 5)).as("acks being written still count as pending").isTrue();

    acks.batchDone();
    assertThat(acks.writing()).isFalse();
    assertThat(acks.contains(0, 5)).isFalse();
    assertThat(acks.isEmpty()).isTrue();
  }

  @Test
  void aBatchTakesOnlyWritableShardsInShardAndOffsetOrder() {
    AckBatcher acks = new AckBatcher();
    acks.add(7, 3);
    acks.add(2, 9);
    acks.add(2, 1);
    acks.add(4, 0);
    SortedMap<Long, TreeSet<Long>> batch = acks.takeBatch(shard -> shard != 4);
    assertThat(batch.keySet()).containsExactly(2L, 7L);
    assertThat(batch.get(2L)).containsExactly(1L, 9L);
    assertThat(acks.pendingCount()).as("shard 4's ack waits for its progress key").isEqualTo(1);
    assertThat(acks.contains(4, 0)).isTrue();
  }

  @Test
  void oneBatchAtATime() {
    AckBatcher acks = new AckBatcher();
    acks.add(0, 1);
    assertThat(acks.takeBatch(shard -> true)).isNotEmpty();
    acks.add(0, 2);
    assertThat(acks.takeBatch(shard -> true)).as("the first is still being written").isEmpty();
    assertThat(acks.pendingCount()).isEqualTo(1);
    acks.batchDone();
    assertThat(acks.takeBatch(shard -> true)).isEqualTo(Map.of(0L, new TreeSet<>(List.of(2L))));
  }

  @Test
  void noBatchWhenNothingIsWritable() {
    AckBatcher acks = new AckBatcher();
    assertThat(acks.takeBatch(shard -> true)).isEmpty();
    acks.add(3, 3);
    assertThat(acks.takeBatch(shard -> false)).isEmpty();
    assertThat(acks.writing()).isFalse();
    assertThat(acks.pendingCount()).isEqualTo(1);
  }

  @Test
  void aFailedBatchIsPutBackWithoutCountingAcksTwice() {
    AckBatcher acks = new AckBatcher();
    acks.add(0, 1);
    acks.add(0, 2);
    SortedMap<Long, TreeSet<Long>> batch = acks.takeBatch(shard -> true);
    acks.add(0, 2); // acked again while the batch was being written
    acks.add(1, 8);
    acks.batchDone();
    acks.requeue(batch);
    assertThat(acks.pendingCount()).isEqualTo(3);
    assertThat(acks.takeBatch(shard -> true))
        .isEqualTo(Map.of(0L, new TreeSet<>(List.of(1L, 2L)), 1L, new TreeSet<>(List.of(8L))));
  }

  @Test
  void aBatchIsFullAtAckBatchMaxAndRoomEndsAtPendingAcksMax() {
    AckBatcher acks = new AckBatcher();
    for (int i = 0; i < AckBatcher.ACK_BATCH_MAX - 1; i++) {
      acks.add(0, i);
    }
    assertThat(acks.batchFull()).isFalse();
    acks.add(0, AckBatcher.ACK_BATCH_MAX);
    assertThat(acks.batchFull()).isTrue();
    int pending = acks.pendingCount();
    assertThat(acks.hasRoomFor(AckBatcher.PENDING_ACKS_MAX - pending)).isTrue();
    assertThat(acks.hasRoomFor(AckBatcher.PENDING_ACKS_MAX - pending + 1)).isFalse();
  }
}
