package io.ordo.sequencer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.proto.Position;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LogPositionTest {

  @Test
  void comparesByTsThenPartitionThenOffset() {
    LogPosition a = new LogPosition(100, 3, 50);
    assertThat(a.compareTo(new LogPosition(101, 0, 0))).isNegative();
    assertThat(a.compareTo(new LogPosition(99, 9, 99))).isPositive();
    assertThat(a.compareTo(new LogPosition(100, 4, 0))).isNegative();
    assertThat(a.compareTo(new LogPosition(100, 2, 1000))).isPositive();
    assertThat(a.compareTo(new LogPosition(100, 3, 51))).isNegative();
    assertThat(a.compareTo(new LogPosition(100, 3, 49))).isPositive();
    assertThat(a.compareTo(new LogPosition(100, 3, 50))).isZero();
  }

  @Test
  void comparesExtremeValuesWithoutOverflow() {
    LogPosition min = new LogPosition(Long.MIN_VALUE, 0, 0);
    LogPosition max = new LogPosition(Long.MAX_VALUE, 0, 0);
    assertThat(min.compareTo(max)).isNegative();
    assertThat(max.compareTo(min)).isPositive();
    assertThat(new LogPosition(0, 0, Long.MIN_VALUE).compareTo(new LogPosition(0, 0, Long.MAX_VALUE)))
        .isNegative();
  }

  @Test
  void sortingShuffledKeysGivesLexicographicOrder() {
    List<LogPosition> expected = new ArrayList<>();
    for (long ts = 0; ts < 4; ts++) {
      for (int p = 0; p < 3; p++) {
        for (long o = 0; o < 3; o++) {
          expected.add(new LogPosition(ts, p, o));
        }
      }
    }
    List<LogPosition> shuffled = new ArrayList<>(expected);
    Collections.shuffle(shuffled, new Random(42));
    Collections.sort(shuffled);
    assertThat(shuffled).containsExactlyElementsOf(expected);
  }

  @Test
  void monotonicTsNeverGoesBackwards() {
    assertThat(LogPosition.monotonicTs(Long.MIN_VALUE, 1000)).isEqualTo(1000);
    assertThat(LogPosition.monotonicTs(1000, 1005)).isEqualTo(1005);
    // The broker clock stepped back: keep the previous timestamp.
    assertThat(LogPosition.monotonicTs(1005, 990)).isEqualTo(1005);
    assertThat(LogPosition.monotonicTs(1005, 1005)).isEqualTo(1005);

    long[] brokerTs = {10, 12, 11, 11, 9, 15, 14, 20};
    long[] expected = {10, 12, 12, 12, 12, 15, 15, 20};
    long previous = Long.MIN_VALUE;
    for (int i = 0; i < brokerTs.length; i++) {
      previous = LogPosition.monotonicTs(previous, brokerTs[i]);
      assertThat(previous).as("record %d", i).isEqualTo(expected[i]);
    }
  }

  @Test
  void convertsToAndFromPosition() {
    LogPosition key = new LogPosition(1_700_000_000_123L, 7, 123_456_789_012L);
    Position position = key.toPosition();
    assertThat(position.getTs()).isEqualTo(1_700_000_000_123L);
    assertThat(position.getPartition()).isEqualTo(7);
    assertThat(position.getOffset()).isEqualTo(123_456_789_012L);
    assertThat(LogPosition.of(position)).isEqualTo(key);
    assertThatThrownBy(() -> LogPosition.of(null)).isInstanceOf(NullPointerException.class);
  }
}
