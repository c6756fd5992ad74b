package io.ordo.gateway.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class UnackedRecordsTest {
  /** The due offsets of a shard, walked as the delivery walks them. */
  private static List<Long> due(UnackedRecords unacked, long shardId, long now) {
    List<Long> out = new ArrayList<>();
    long from = 0;
    for (OptionalLong next = unacked.nextDue(shardId, from, now);
        next.isPresent();
        next = unacked.nextDue(shardId, from, now)) {
      out.add(next.getAsLong());
      from = next.getAsLong() + 1;
    }
    return out;
  }

  @Test
  void recordsAreDueAtTheirDeadlineInOffsetOrder() {
    UnackedRecords unacked = new UnackedRecords();
    unacked.add(0, 7, 100, "a");
    unacked.add(0, 3, 200, "a");
    unacked.add(0, 5, 100, "b");
    unacked.add(1, 0, 50, "b");
    assertThat(unacked.count()).isEqualTo(4);
    assertThat(due(unacked, 0, 99)).isEmpty();
    assertThat(due(unacked, 0, 100)).as("a deadline is due when reached").containsExactly(5L, 7L);
    assertThat(due(unacked, 0, 1_000)).containsExactly(3L, 5L, 7L);
    assertThat(due(unacked, 1, 50)).containsExactly(0L);
    assertThat(due(unacked, 9, 1_000)).as("an unknown shard").isEmpty();
    assertThat(unacked.nextDue(0, 6, 1_000)).hasValue(7);
  }

  @Test
  void deadlinesCompareByDifferenceAcrossTheClocksWrapAround() {
    UnackedRecords unacked = new UnackedRecords();
    long deadline = Long.MAX_VALUE - 5;
    unacked.add(0, 1, deadline, "a");
    assertThat(due(unacked, 0, Long.MAX_VALUE - 10)).isEmpty();
    assertThat(unacked.anyAwaitingAck(Long.MAX_VALUE - 10)).isTrue();
    assertThat(due(unacked, 0, Long.MIN_VALUE + 3)).as("the clock wrapped past it").containsExactly(1L);
    assertThat(unacked.anyAwaitingAck(Long.MIN_VALUE + 3)).isFalse();
  }

  @Test
  void aRedeliveryMovesTheDeadlineAndTheConsumer() {
    UnackedRecords unacked = new UnackedRecords();
    unacked.add(0, 1, 10, "a");
    unacked.redeliver(0, 1, 110, "b");
    assertThat(due(unacked, 0, 100)).isEmpty();
    assertThat(unacked.countByConsumer()).isEqualTo(Map.of("b", 1L));
    assertThat(unacked.count()).as("still one record").isEqualTo(1);
    assertThatThrownBy(() -> unacked.redeliver(0, 2, 10, "a"))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> unacked.add(0, 1, 10, "a")).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void removingAckedRecordsKeepsTheCount() {
    UnackedRecords unacked = new UnackedRecords();
    for (long offset = 0; offset < 10; offset++) {
      unacked.add(0, offset, 100, "a");
    }
    unacked.add(1, 4, 100, "a");
    assertThat(unacked.remove(0, 9)).isTrue();
    assertThat(unacked.remove(0, 9)).isFalse();
    assertThat(unacked.remove(5, 0)).isFalse();
    assertThat(unacked.count()).isEqualTo(10);

    // Floor 4 and offsets 6 and 12 acked: 0..3 and 6 go; 12 was never unacked.
    unacked.removeAcked(0, new Progress(4, List.of(6L, 12L)));
    assertThat(due(unacked, 0, 100)).containsExactly(4L, 5L, 7L, 8L);
    assertThat(unacked.contains(1, 4)).as("other shards are untouched").isTrue();
    assertThat(unacked.count()).isEqualTo(5);
    unacked.removeAcked(7, new Progress(100, List.of()));
    assertThat(unacked.count()).isEqualTo(5);
  }

  @Test
  void aLeavingConsumersRecordsBecomeDueAtOnce() {
    UnackedRecords unacked = new UnackedRecords();
    unacked.add(0, 1, 500, "a");
    unacked.add(0, 2, 500, "b");
    unacked.add(3, 0, 500, "a");
    unacked.expireFor("a", 20);
    assertThat(due(unacked, 0, 20)).containsExactly(1L);
    assertThat(due(unacked, 3, 20)).containsExactly(0L);
    assertThat(unacked.anyAwaitingAck(20)).as("b's record still waits").isTrue();
    assertThat(unacked.countByConsumer()).containsExactly(Map.entry("a", 2L), Map.entry("b", 1L));
  }
}
