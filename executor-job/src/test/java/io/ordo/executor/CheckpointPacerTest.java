package io.ordo.executor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The pacing rule of the embedded executor's checkpoints, tick by tick. */
class CheckpointPacerTest {
  private final AtomicReference<List<Long>> ends = new AtomicReference<>(List.of(0L, 0L));
  private final List<CompletableFuture<Long>> triggered = new ArrayList<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CheckpointPacer pacer =
      new CheckpointPacer(
          ends::get,
          () -> {
            CompletableFuture<Long> f = new CompletableFuture<>();
            triggered.add(f);
            return f;
          },
          () -> closed.set(true));

  private void completeLast() {
    triggered.get(triggered.size() - 1).complete((long) triggered.size());
  }

  @Test
  void anIdleLogGetsARestorePointAndASettledOneThenNothing() {
    assertThat(pacer.tick()).as("first tick: a restore point after start").isTrue();
    completeLast();
    assertThat(pacer.tick()).as("log still: one settled checkpoint").isTrue();
    completeLast();
    for (int i = 0; i < 100; i++) {
      assertThat(pacer.tick()).as("idle tick %d", i).isFalse();
    }
    assertThat(pacer.triggered()).isEqualTo(2);
    assertThat(pacer.skipped()).isEqualTo(100);
  }

  @Test
  void anIdleLogIsObservedLessAndLessOftenAndMovementIsCaughtWithinTheStride() {
    pacer.tick();
    completeLast();
    pacer.tick(); // settling checkpoint
    completeLast();
    long before = pacer.observations();
    // Settled: observations after 1, 2, 4, 8, 8, ... ticks.
    for (int i = 0; i < 1 + 2 + 4 + 8 + 8; i++) {
      assertThat(pacer.tick()).isFalse();
    }
    assertThat(pacer.observations() - before).as("looks at ticks 1, 3, 7, 15, 23").isEqualTo(5);
    for (int i = 0; i < 7; i++) {
      assertThat(pacer.tick()).as("tick %d of the full stride", i).isFalse();
    }
    ends.set(List.of(9L, 9L));
    assertThat(pacer.tick()).as("the 8th tick looks, sees movement and checkpoints").isTrue();
    completeLast();
    ends.set(List.of(10L, 9L));
    assertThat(pacer.tick()).as("stride back to 1: the next tick looks again").isTrue();
    completeLast();
    assertThat(pacer.tick()).as("still: settling checkpoint").isTrue();
    completeLast();
    long settledAt = pacer.observations();
    assertThat(pacer.tick()).isFalse();
    assertThat(pacer.observations()).as("first settled tick looks").isEqualTo(settledAt + 1);
    assertThat(pacer.tick()).isFalse();
    assertThat(pacer.observations()).as("stride 2: skipped").isEqualTo(settledAt + 1);
  }

  @Test
  void aMovingLogIsCheckpointedEveryTickAndOnceMoreWhenItStops() {
    pacer.tick();
    completeLast();
    pacer.tick();
    completeLast();
    for (long i = 1; i <= 5; i++) {
      ends.set(List.of(i, 2 * i));
      assertThat(pacer.tick()).as("moving tick %d", i).isTrue();
      completeLast();
    }
    assertThat(pacer.tick()).as("first still tick").isTrue();
    completeLast();
    assertThat(pacer.tick()).as("settled").isFalse();
    ends.set(List.of(6L, 10L));
    assertThat(pacer.tick()).as("idle stride 2 after the first settled look: not observed").isFalse();
    assertThat(pacer.tick()).as("moves again").isTrue();
  }

  @Test
  void aTickWhileACheckpointRunsOnlyObserves() {
    pacer.tick(); // in flight, not completed
    ends.set(List.of(1L, 0L));
    assertThat(pacer.tick()).isFalse();
    assertThat(pacer.tick()).isFalse();
    completeLast();
    assertThat(pacer.tick()).as("still since the last observation: the settling checkpoint").isTrue();
    completeLast();
    assertThat(pacer.tick()).isFalse();
    assertThat(triggered).hasSize(2);
  }

  @Test
  void aFailedSettlingCheckpointIsRetried() {
    pacer.tick();
    completeLast();
    pacer.tick();
    triggered.get(1).completeExceptionally(new IllegalStateException("declined"));
    assertThat(pacer.tick()).as("retry of the settling checkpoint").isTrue();
    completeLast();
    assertThat(pacer.tick()).isFalse();
  }

  @Test
  void aSettlingCheckpointOvertakenByNewAppendsDoesNotSettle() {
    pacer.tick();
    completeLast();
    pacer.tick(); // settling checkpoint in flight
    ends.set(List.of(3L, 3L));
    assertThat(pacer.tick()).as("in flight").isFalse();
    completeLast(); // completes after the log moved: must not count as settled
    assertThat(pacer.tick()).as("still since the last observation, not yet covered").isTrue();
    completeLast();
    assertThat(pacer.tick()).isFalse();
  }

  @Test
  void aFailingReadOfTheEndsTriggersNothingAndCloseReleases() {
    CheckpointPacer failing =
        new CheckpointPacer(
            () -> {
              throw new IllegalStateException("broker down");
            },
            () -> CompletableFuture.completedFuture(1L),
            () -> closed.set(true));
    org.assertj.core.api.Assertions.assertThatThrownBy(failing::tick).hasMessageContaining("broker down");
    assertThat(failing.triggered()).isZero();
    failing.close();
    assertThat(closed).isTrue();
  }
}
