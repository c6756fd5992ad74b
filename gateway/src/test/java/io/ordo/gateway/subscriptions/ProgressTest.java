package io.ordo.gateway.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressTest {
  @Test
  void floorMovesOverContiguousAcks() {
    Progress p = new Progress(0, List.of());
    assertThat(p.ack(List.of(1L, 2L))).isTrue();
    assertThat(p.floor()).isZero();
    assertThat(p.acked()).containsExactly(1L, 2L);
    assertThat(p.isAcked(0)).isFalse();
    assertThat(p.isAcked(2)).isTrue();
    p.ack(List.of(0L));
    assertThat(p.floor()).isEqualTo(3);
    assertThat(p.acked()).isEmpty();
  }

  @Test
  void acksBelowTheFloorOrRepeatedChangeNothing() {
    Progress p = new Progress(5, List.of(7L));
    assertThat(p.ack(List.of(3L, 7L))).isFalse();
    assertThat(p.floor()).isEqualTo(5);
    assertThat(p.acked()).containsExactly(7L);
  }

  @Test
  void mergeTakesTheHigherFloorAndTheUnionOfAcks() {
    Progress p = new Progress(2, List.of(4L, 9L));
    assertThat(p.merge(5, List.of(6L, 9L))).isTrue();
    assertThat(p.floor()).isEqualTo(5);
    assertThat(p.acked()).containsExactly(6L, 9L);
    assertThat(p.merge(3, List.of())).isFalse();
    assertThat(p.merge(6, List.of())).isTrue();
    assertThat(p.floor()).as("6 was acked, so the floor moves over it").isEqualTo(7);
    assertThat(p.acked()).containsExactly(9L);
  }

  @Test
  void coversRangeCountsTheFloorAndTheAckedOffsets() {
    Progress p = new Progress(2, List.of(3L, 5L));
    assertThat(p.coversRange(0, 2)).isTrue();
    assertThat(p.coversRange(0, 3)).isFalse();
    assertThat(p.coversRange(3, 4)).isTrue();
    assertThat(p.coversRange(3, 5)).isFalse();
    // Offsets below a trimmed start are gone, so a range from there counts only what is left.
    assertThat(p.coversRange(5, 6)).isTrue();
    assertThat(p.coversRange(3, 6)).isFalse();
    assertThat(p.coversRange(10, 10)).isTrue();
  }

  @Test
  void negativeFloorIsRejected() {
    assertThatThrownBy(() -> new Progress(-1, List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("floor must be >= 0");
  }
}
