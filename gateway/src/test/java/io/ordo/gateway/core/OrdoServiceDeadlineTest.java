package io.ordo.gateway.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The service's deadline margin and its inverse, used by the REST side for ?timeoutMs=. */
class OrdoServiceDeadlineTest {
  @Test
  void theServiceStopsWaitingAFifthBeforeTheDeadlineAtMostOneSecond() {
    assertThat(OrdoService.waitMsForRemainingMs(1_000)).isEqualTo(800);
    assertThat(OrdoService.waitMsForRemainingMs(5_000)).isEqualTo(4_000);
    assertThat(OrdoService.waitMsForRemainingMs(30_000)).isEqualTo(29_000);
    assertThat(OrdoService.waitMsForRemainingMs(3)).isEqualTo(2);
    assertThat(OrdoService.waitMsForRemainingMs(0)).isEqualTo(-1);
  }

  @Test
  void theRestDeadlineMakesTheServiceWaitExactlyTheRequestedTimeout() {
    for (long waitMs = 1; waitMs <= 600_000; waitMs += (waitMs < 10_000 ? 1 : 997)) {
      long deadlineMs = OrdoService.deadlineMsForWaitMs(waitMs);
      assertThat(deadlineMs).isGreaterThan(waitMs);
      assertThat(OrdoService.waitMsForRemainingMs(deadlineMs)).as("waitMs %d", waitMs).isEqualTo(waitMs);
    }
  }
}
