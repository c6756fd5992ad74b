package io.ordo.storage.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class LsnTrackerTest {
  @Test
  void watermarkAdvancesOnlyOverGaplessLsnsAndAbsorbsWaitingOnes() {
    LsnTracker tracker = new LsnTracker(100);
    LsnTracker.Batch b1 = tracker.newBatch();
    assertThat(b1.offer(0, 2)).isTrue();
    assertThat(b1.offer(0, 4)).isTrue();
    assertThat(b1.offer(0, 4)).isFalse();
    assertThat(b1.offer(1, 1)).isTrue();
    List<LsnTracker.Change> c1 = b1.changes();
    assertThat(c1)
        .containsExactly(
            new LsnTracker.Change(0, 0, 0, List.of(), List.of(2L, 4L)),
            new LsnTracker.Change(1, 0, 1, List.of(), List.of()));
    tracker.commit(c1);
    assertThat(tracker.watermark(0)).isZero();
    assertThat(tracker.watermark(1)).isEqualTo(1);
    assertThat(tracker.outOfOrderCount()).isEqualTo(2);

    LsnTracker.Batch b2 = tracker.newBatch();
    assertThat(b2.offer(0, 2)).isFalse();
    assertThat(b2.offer(1, 1)).isFalse();
    assertThat(b2.offer(0, 1)).isTrue();
    assertThat(b2.offer(0, 3)).isTrue();
    List<LsnTracker.Change> c2 = b2.changes();
    assertThat(c2).containsExactly(new LsnTracker.Change(0, 0, 4, List.of(2L, 4L), List.of()));
    tracker.commit(c2);
    assertThat(tracker.watermark(0)).isEqualTo(4);
    assertThat(tracker.outOfOrderCount()).isZero();
  }

  @Test
  void uncommittedBatchesLeaveTheTrackerUnchanged() {
    LsnTracker tracker = new LsnTracker(100);
    LsnTracker.Batch b = tracker.newBatch();
    b.offer(0, 1);
    b.changes();
    assertThat(tracker.watermark(0)).isZero();
    assertThat(tracker.newBatch().offer(0, 1)).isTrue();
  }

  @Test
  void tooManyWaitingLsnsAreRefused() {
    LsnTracker tracker = new LsnTracker(2);
    LsnTracker.Batch b = tracker.newBatch();
    b.offer(0, 2);
    b.offer(0, 3);
    b.offer(0, 4);
    assertThatThrownBy(b::changes)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("bound of 2");
    LsnTracker.Batch ok = tracker.newBatch();
    ok.offer(0, 2);
    ok.offer(0, 1);
    ok.offer(0, 4);
    tracker.commit(ok.changes());
    assertThat(tracker.watermark(0)).isEqualTo(2);
    assertThat(tracker.outOfOrderCount()).isEqualTo(1);
  }
}
